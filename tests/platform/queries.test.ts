/**
 * Eligibility (2001) and the read-only queries 5201, 5203, 5204, 5206 (inpatient.md section 8):
 * what each answers, that each writes nothing, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { envelope, freshPlatform, WORLDS } from '../helpers.ts';
import type { SqliteLedger } from '../../src/ledger/sqlite.ts';

const H = 'H44030000002';
const OTHER = 'H44030000001';
const LIU = { psn_no: '44030000000000000006', certno: '44030619900218071X' };
const NOBODY = '44030000000000009999';

type Platform = Awaited<ReturnType<typeof freshPlatform>>['platform'];

async function call(platform: Platform, infno: string, inst: string, input: Record<string, unknown>) {
  return (await platform.call(envelope(infno, inst, input))) as { infcode: number; err_code?: string; err_msg: string | null; output: any };
}
async function ok(platform: Platform, infno: string, inst: string, input: Record<string, unknown>) {
  const r = await call(platform, infno, inst, input);
  expect(r.err_msg, infno).toBeNull();
  return r.output;
}

/** The tables a query could change (the stored responses of its own msgid aside). */
function state(ledger: SqliteLedger) {
  const q = (sql: string) => ledger.db.prepare(sql).all();
  return [q('SELECT * FROM accounts'), q('SELECT * FROM counters'), q('SELECT * FROM visits'), q('SELECT * FROM fee_lines'), q('SELECT * FROM settlements')];
}

/** Two visits of 刘洋: the first (2026-11-19) settled with two lines, the second (2026-11-20) empty. */
async function twoVisits(platform: Platform) {
  const reg = (begntime: string, no: string) =>
    ok(platform, '2201', H, { data: { psn_no: LIU.psn_no, insutype: '310', begntime, mdtrt_cert_type: '02', mdtrt_cert_no: LIU.certno, ipt_otp_no: no } });
  const m1 = (await reg('2026-11-19 09:00:00', 'MZ-Q1')).data.mdtrt_id as string;
  await ok(platform, '2203', H, { mdtrtinfo: { mdtrt_id: m1, psn_no: LIU.psn_no, med_type: '11', dise_codg: 'J06.900', dise_name: '急性上呼吸道感染' } });
  const upload = await ok(platform, '2204', H, {
    feedetail: [
      { feedetl_sn: 'F1', mdtrt_id: m1, psn_no: LIU.psn_no, chrg_bchno: 'B1', med_list_codg: 'XJ01CAA040A001', det_item_fee_sumamt: 25, cnt: 2, pric: 12.5, fee_ocur_time: '2026-11-20 09:50:00' },
      { feedetl_sn: 'F2', mdtrt_id: m1, psn_no: LIU.psn_no, chrg_bchno: 'B1', med_list_codg: 'XM01AEB010A001', det_item_fee_sumamt: 20, cnt: 1, pric: 20 },
    ],
  });
  const settled = await ok(platform, '2207', H, {
    data: { psn_no: LIU.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: LIU.certno, med_type: '11', medfee_sumamt: 45, mdtrt_id: m1, chrg_bchno: '0000', acct_used_flag: '1', insutype: '310' },
  });
  const m2 = (await reg('2026-11-20 09:40:00', 'MZ-Q2')).data.mdtrt_id as string;
  return { m1, m2, upload, settled, s1: settled.setlinfo.setl_id as string };
}

describe('2001 eligibility', () => {
  it('answers a row per fund in order, per fund and identity', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const flags = async (psn_no: string, insutype: string, med_type: string, extra: Record<string, string> = {}) =>
      ((await ok(platform, '2001', OTHER, { data: { psn_no, insutype, med_type, ...extra } })).trtinfo as { fund_pay_type: string; trt_enjymnt_flag: string }[]).map((r) => `${r.fund_pay_type}:${r.trt_enjymnt_flag}`);
    expect(await flags('44030000000000000020', '310', '21')).toEqual(['310100:1', '330100:1', '320100:0', '310200:1']);
    expect(await flags('44030000000000000021', '310', '21')).toEqual(['310100:1', '330100:1', '320100:1', '310200:1']);
    expect(await flags('44030000000000000022', '390', '21')).toEqual(['390100:1', '390200:1', '610100:1']);
    expect(await flags('44030000000000000025', '390', '21')).toEqual(['390100:1', '390200:1', '610100:0']);
    expect(await flags('44030000000000000025', '390', '21', { begntime: '2025-06-01' })).toEqual(['390100:1', '390200:1', '610100:1']);
    expect(await flags('44030000000000000024', '390', '14', { dise_codg: 'M03900' })).toEqual(['390100:1']);
    expect(await flags('44030000000000000024', '390', '14', { dise_codg: 'M01600' })).toEqual(['390100:0']);
    expect(await flags(LIU.psn_no, '310', '41')).toEqual(['310100:0', '310200:1']);
    expect(await flags('44030000000000000010', '310', '11')).toEqual(['310100:0', '310200:0']);
    const rows = (await ok(platform, '2001', OTHER, { data: { psn_no: '44030000000000000020', insutype: '310', med_type: '21' } })).trtinfo;
    expect(rows[0]).toEqual({ psn_no: '44030000000000000020', fund_pay_type: '310100', trt_enjymnt_flag: '1', trt_chk_rslt: null });
    expect(rows[2].trt_chk_rslt).toEqual(expect.any(String));
  });

  it('refuses an insurance the person lacks and an unknown person', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    expect(await call(platform, '2001', H, { data: { psn_no: LIU.psn_no, insutype: '390', med_type: '11' } })).toMatchObject({ infcode: -1, err_code: 'insurance_inactive' });
    expect(await call(platform, '2001', H, { data: { psn_no: NOBODY, insutype: '310', med_type: '11' } })).toMatchObject({ infcode: -1, err_code: 'person_unknown' });
  });
});

describe('5201, 5203, 5204, 5206', () => {
  it('every query refuses an unknown person', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const inputs: Record<string, Record<string, unknown>> = {
      '5201': { psn_no: NOBODY },
      '5203': { psn_no: NOBODY, setl_id: 'X' },
      '5204': { psn_no: NOBODY, mdtrt_id: 'X' },
      '5206': { psn_no: NOBODY },
      '5301': { psn_no: NOBODY },
    };
    for (const [infno, data] of Object.entries(inputs)) expect(await call(platform, infno, H, { data }), infno).toMatchObject({ infcode: -1, err_code: 'person_unknown' });
  });

  it('5201 lists the calling institution\'s visits of the person in order, filtered exactly', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const { m1, m2 } = await twoVisits(platform);
    const list = async (extra: Record<string, string> = {}, inst = H) => ((await ok(platform, '5201', inst, { data: { psn_no: LIU.psn_no, ...extra } })).mdtrtinfo as { mdtrt_id: string }[]);
    const all = await list();
    expect(all).toEqual([
      { mdtrt_id: m1, psn_no: LIU.psn_no, insutype: '310', med_type: '11', begntime: '2026-11-19 09:00:00', endtime: null, ipt_otp_no: 'MZ-Q1', inhosp_stas: null, dise_codg: 'J06.900' },
      { mdtrt_id: m2, psn_no: LIU.psn_no, insutype: '310', med_type: null, begntime: '2026-11-20 09:40:00', endtime: null, ipt_otp_no: 'MZ-Q2', inhosp_stas: null, dise_codg: null },
    ]);
    expect((await list({ mdtrt_id: m2 })).map((v) => v.mdtrt_id)).toEqual([m2]);
    expect((await list({ med_type: '11' })).map((v) => v.mdtrt_id)).toEqual([m1]);
    expect((await list({ begntime: '2026-11-20' })).map((v) => v.mdtrt_id)).toEqual([m2]);
    expect((await list({ endtime: '2026-11-19 23:59:59' })).map((v) => v.mdtrt_id)).toEqual([m1]);
    expect(await list({}, OTHER)).toEqual([]);
  });

  it('5203 answers a settlement and its cancellation as their calls did, naming what undid it', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const { m1, s1, settled } = await twoVisits(platform);
    const q = (data: Record<string, unknown>, inst = H) => call(platform, '5203', inst, { data: { psn_no: LIU.psn_no, ...data } });
    expect((await q({ setl_id: s1 })).output).toEqual({ setlinfo: { ...settled.setlinfo, cancel_setl_id: null }, setldetail: settled.setldetail });
    expect((await q({ setl_id: s1, mdtrt_id: m1 })).infcode).toBe(0);
    for (const [data, inst] of [[{ setl_id: s1 }, OTHER], [{ setl_id: 'NOSUCH' }, H], [{ setl_id: s1, mdtrt_id: 'OTHERVISIT' }, H]] as const) {
      expect(await q(data, inst)).toMatchObject({ infcode: -1, err_code: 'settlement_unknown' });
    }
    expect(await call(platform, '5203', H, { data: { psn_no: '44030000000000000005', setl_id: s1 } })).toMatchObject({ infcode: -1, err_code: 'settlement_unknown' });

    const cancel = await ok(platform, '2208', H, { data: { setl_id: s1, mdtrt_id: m1, psn_no: LIU.psn_no } });
    const c1 = cancel.setlinfo.setl_id as string;
    expect((await q({ setl_id: s1 })).output.setlinfo.cancel_setl_id).toBe(c1);
    expect((await q({ setl_id: c1 })).output).toEqual({ setlinfo: { ...cancel.setlinfo, cancel_setl_id: null }, setldetail: cancel.setldetail });
  });

  it('5204 answers the live lines with their 2204 fields and the settlement covering each', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const { m1, m2, s1, upload } = await twoVisits(platform);
    const lines = async (data: Record<string, unknown>) => (await ok(platform, '5204', H, { data: { psn_no: LIU.psn_no, ...data } })).feedetail as Record<string, unknown>[];
    const got = await lines({ mdtrt_id: m1 });
    expect(got).toEqual([
      { ...upload.result[0], med_list_codg: 'XJ01CAA040A001', init_feedetl_sn: null, fee_ocur_time: '2026-11-20 09:50:00', setl_id: s1 },
      { ...upload.result[1], med_list_codg: 'XM01AEB010A001', init_feedetl_sn: null, fee_ocur_time: null, setl_id: s1 },
    ]);
    expect(await lines({ mdtrt_id: m1, setl_id: s1 })).toEqual(got);
    expect(await lines({ mdtrt_id: m2 })).toEqual([]);
    expect(await call(platform, '5204', H, { data: { psn_no: LIU.psn_no, mdtrt_id: 'NOSUCH' } })).toMatchObject({ infcode: -1, err_code: 'visit_unknown' });
    expect(await call(platform, '5204', OTHER, { data: { psn_no: LIU.psn_no, mdtrt_id: m1 } })).toMatchObject({ infcode: -1, err_code: 'visit_unknown' });
    expect(await call(platform, '5204', H, { data: { psn_no: '44030000000000000005', mdtrt_id: m1 } })).toMatchObject({ infcode: -1, err_code: 'visit_mismatch' });
    await ok(platform, '2208', H, { data: { setl_id: s1, mdtrt_id: m1, psn_no: LIU.psn_no } });
    expect((await lines({ mdtrt_id: m1 })).map((l) => l.setl_id)).toEqual([null, null]);
  });

  it('5206 lists the 8 counters per insutype in order, then each chronic disease, for the year asked', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    await twoVisits(platform);
    const rows = (await ok(platform, '5206', H, { data: { psn_no: LIU.psn_no } })).cuminfo;
    expect(rows).toEqual([
      { insutype: '310', year: '2026', cum_type_code: 'dedc_used', cum: 1000 },
      { insutype: '310', year: '2026', cum_type_code: 'fund_used', cum: 825.8 },
      ...['ipt_cnt', 'ipt_fund_used', 'major_base', 'major_fund_used', 'cvlserv_used', 'maf_used'].map((c) => ({ insutype: '310', year: '2026', cum_type_code: c, cum: 0 })),
    ]);
    const older = (await ok(platform, '5206', H, { data: { psn_no: LIU.psn_no, cum_ym: '202512' } })).cuminfo as { year: string; cum: number }[];
    expect(older.every((r) => r.year === '2025' && r.cum === 0)).toBe(true);
    const chronic = (await ok(platform, '5206', H, { data: { psn_no: '44030000000000000024' } })).cuminfo as { cum_type_code: string; cum: number; opsp_dise_code?: string }[];
    expect(chronic.slice(8)).toEqual([
      { insutype: '390', year: '2026', cum_type_code: 'chr_dedc_used', cum: 50, opsp_dise_code: 'M03900' },
      { insutype: '390', year: '2026', cum_type_code: 'chr_fund_used', cum: 2900, opsp_dise_code: 'M03900' },
      { insutype: '390', year: '2026', cum_type_code: 'chr_dedc_used', cum: 0, opsp_dise_code: 'M01600' },
      { insutype: '390', year: '2026', cum_type_code: 'chr_fund_used', cum: 0, opsp_dise_code: 'M01600' },
    ]);
    const i = (await ok(platform, '5206', H, { data: { psn_no: '44030000000000000020' } })).cuminfo as { cum_type_code: string; cum: number }[];
    expect(Object.fromEntries(i.map((r) => [r.cum_type_code, r.cum]))).toMatchObject({ ipt_cnt: 1, ipt_fund_used: 290000, major_base: 52300, major_fund_used: 17840 });
    expect(await call(platform, '5206', H, { data: { psn_no: LIU.psn_no, cum_ym: '2026-11' } })).toMatchObject({ infcode: -1, err_code: 'malformed_input' });
  });

  it('queries write nothing', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const { m1, s1 } = await twoVisits(platform);
    const before = state(ledger as SqliteLedger);
    await ok(platform, '2001', H, { data: { psn_no: LIU.psn_no, insutype: '310', med_type: '11' } });
    await ok(platform, '5201', H, { data: { psn_no: LIU.psn_no } });
    await ok(platform, '5203', H, { data: { psn_no: LIU.psn_no, setl_id: s1 } });
    await ok(platform, '5204', H, { data: { psn_no: LIU.psn_no, mdtrt_id: m1 } });
    await ok(platform, '5206', H, { data: { psn_no: LIU.psn_no } });
    await ok(platform, '5301', H, { data: { psn_no: LIU.psn_no } });
    expect(state(ledger as SqliteLedger)).toEqual(before);
  });
});
