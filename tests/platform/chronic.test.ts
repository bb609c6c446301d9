/**
 * Chronic and special outpatient diseases through the platform (inpatient.md section 7): filings
 * (2503, 2504, 5301) and med_type 14 priced by the disease's own deductible, ratio and cap.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelope, freshPlatform, WORLDS } from '../helpers.ts';
import type { SqliteLedger } from '../../src/ledger/sqlite.ts';

const EXAMPLE_I = 'fixtures/worlds/example-i';
const HAN = { psn_no: '44030000000000000026', certno: '440304195504183848' }; // C1
const CAO = { psn_no: '44030000000000000024', certno: '440307195802142621' }; // demo chronic patient, 390
const LIU = { psn_no: '44030000000000000006', certno: '44030619900218071X' }; // demo 310, no chronic policy
const LV1 = 'H44030000003';
const LV2 = 'H44030000002';

type Platform = Awaited<ReturnType<typeof freshPlatform>>['platform'];

/** Every table a refused request must leave as it was. */
function snapshot(ledger: SqliteLedger) {
  const tables = (ledger.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('attempts', 'sequences') ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  return Object.fromEntries(tables.map((t) => [t, ledger.db.prepare(`SELECT * FROM "${t}"`).all()]));
}

async function call(platform: Platform, infno: string, inst: string, input: Record<string, unknown>, msgid?: string) {
  return (await platform.call(envelope(infno, inst, input, msgid))) as { infcode: number; err_code?: string; err_msg: string | null; output: any };
}

async function ok(platform: Platform, infno: string, inst: string, input: Record<string, unknown>) {
  const r = await call(platform, infno, inst, input);
  expect(r.err_msg, `${infno}`).toBeNull();
  return r.output;
}

/** 2201 + 2203 (+ 2204 lines): an outpatient visit ready to settle. */
async function visit(platform: Platform, inst: string, who: { psn_no: string; certno: string }, insutype: string, info: { med_type: string; dise_codg?: string }, lines: { code: string; pric: number; cnt: number }[]) {
  const reg = await ok(platform, '2201', inst, { data: { psn_no: who.psn_no, insutype, begntime: '2026-11-20 09:40:00', mdtrt_cert_type: '02', mdtrt_cert_no: who.certno, ipt_otp_no: 'MZ1' } });
  const mdtrt_id = reg.data.mdtrt_id as string;
  await ok(platform, '2203', inst, { mdtrtinfo: { mdtrt_id, psn_no: who.psn_no, ...info }, diseinfo: [] });
  const feedetail = lines.map((l, i) => ({ feedetl_sn: String(i + 1), mdtrt_id, psn_no: who.psn_no, med_list_codg: l.code, pric: l.pric, cnt: l.cnt, det_item_fee_sumamt: Math.round(l.pric * l.cnt * 100) / 100 }));
  await ok(platform, '2204', inst, { feedetail });
  const medfee_sumamt = Math.round(feedetail.reduce((s, l) => s + l.det_item_fee_sumamt * 100, 0)) / 100;
  const settle = { data: { psn_no: who.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: who.certno, med_type: info.med_type, medfee_sumamt, mdtrt_id, chrg_bchno: '0000', acct_used_flag: '1', insutype } };
  return { mdtrt_id, settle };
}

async function chronicCounters(platform: Platform, inst: string, psn_no: string, code: string) {
  const rows = (await ok(platform, '5206', inst, { data: { psn_no } })).cuminfo as { cum_type_code: string; cum: number; opsp_dise_code?: string }[];
  const of = (name: string) => rows.find((r) => r.cum_type_code === name && (r.opsp_dise_code ?? null) === (name.startsWith('chr_') ? code : null))!.cum;
  return { dedc_used: of('dedc_used'), fund_used: of('fund_used'), chr_dedc_used: of('chr_dedc_used'), chr_fund_used: of('chr_fund_used') };
}

const C1_LINES = [
  { code: 'XC08CAN010A001', pric: 30, cnt: 10 },
  { code: 'XC10AAA050A001', pric: 120, cnt: 1 },
];

describe('med_type 14 under a chronic policy', () => {
  it('reproduces worked example C1 to the fen; the outpatient counters do not move; 2208 restores the disease', async () => {
    const { platform } = await freshPlatform(EXAMPLE_I);
    const { mdtrt_id, settle } = await visit(platform, LV1, HAN, '310', { med_type: '14', dise_codg: 'M03900' }, C1_LINES);
    const trial = await ok(platform, '2206', LV1, settle);
    const done = await ok(platform, '2207', LV1, settle);
    expect({ ...trial.setlinfo, setl_id: done.setlinfo.setl_id, medins_setl_id: null }).toEqual({ ...done.setlinfo, medins_setl_id: null }); // trial = settlement
    expect(done.setlinfo).toMatchObject({
      med_type: '14', clr_type: '11', medfee_sumamt: 420, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 12, inscp_scp_amt: 408,
      act_pay_dedc: 50, pool_prop_selfpay: 0.85, hifp_pay: 100, fund_pay_sumamt: 100, psn_part_amt: 320, acct_pay: 320, psn_cash_pay: 0, balc: 680,
      hifob_pay: 0, hifmi_pay: 0, cvlserv_pay: 0, maf_pay: 0,
    });
    expect(done.setldetail).toEqual([{ fund_pay_type: '310100', fund_pay_type_name: '职工基本医疗保险统筹基金', inscp_scp_amt: 408, fund_payamt: 100, crt_payb_lmt_amt: 0, setl_proc_info: '' }]);
    expect(await chronicCounters(platform, LV1, HAN.psn_no, 'M03900')).toEqual({ dedc_used: 0, fund_used: 0, chr_dedc_used: 200, chr_fund_used: 4000 });

    const cancel = await ok(platform, '2208', LV1, { data: { setl_id: done.setlinfo.setl_id, mdtrt_id, psn_no: HAN.psn_no } });
    expect(cancel.setlinfo).toMatchObject({ hifp_pay: -100, act_pay_dedc: -50, acct_pay: -320, balc: 1000 });
    expect(cancel.setldetail).toEqual([{ fund_pay_type: '310100', fund_pay_type_name: '职工基本医疗保险统筹基金', inscp_scp_amt: -408, fund_payamt: -100, crt_payb_lmt_amt: 100, setl_proc_info: '' }]);
    expect(await chronicCounters(platform, LV1, HAN.psn_no, 'M03900')).toEqual({ dedc_used: 0, fund_used: 0, chr_dedc_used: 150, chr_fund_used: 3900 });
  });

  it('2601 of a chronic 2207 restores the disease counters and the account; 2601 of its 2208 re-applies them', async () => {
    const { platform } = await freshPlatform(EXAMPLE_I);
    const a = await visit(platform, LV1, HAN, '310', { med_type: '14', dise_codg: 'M03900' }, C1_LINES);
    expect((await call(platform, '2207', LV1, a.settle, 'C1-SETTLE')).infcode).toBe(0);
    expect((await call(platform, '2601', LV1, { data: { psn_no: HAN.psn_no, omsgid: 'C1-SETTLE', oinfno: '2207' } })).infcode).toBe(0);
    expect(await chronicCounters(platform, LV1, HAN.psn_no, 'M03900')).toMatchObject({ chr_dedc_used: 150, chr_fund_used: 3900 });

    const b = await visit(platform, LV1, HAN, '310', { med_type: '14', dise_codg: 'M03900' }, C1_LINES);
    const s = (await call(platform, '2207', LV1, b.settle)).output.setlinfo.setl_id as string;
    expect((await call(platform, '2208', LV1, { data: { setl_id: s, mdtrt_id: b.mdtrt_id, psn_no: HAN.psn_no } }, 'C1-CANCEL')).infcode).toBe(0);
    expect((await call(platform, '2601', LV1, { data: { psn_no: HAN.psn_no, omsgid: 'C1-CANCEL', oinfno: '2208' } })).infcode).toBe(0);
    expect(await chronicCounters(platform, LV1, HAN.psn_no, 'M03900')).toMatchObject({ chr_dedc_used: 200, chr_fund_used: 4000 });
    expect((await ok(platform, '1101', LV1, { data: { mdtrt_cert_type: '02', mdtrt_cert_no: HAN.certno } })).insuinfo[0].balc).toBe(680);
  });

  it('refuses 2203, 2206 and 2207 without a filing in force for the disease, writing nothing', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const reg = await ok(platform, '2201', LV2, { data: { psn_no: CAO.psn_no, insutype: '390', begntime: '2026-11-20 09:40:00', mdtrt_cert_type: '02', mdtrt_cert_no: CAO.certno, ipt_otp_no: 'MZ1' } });
    const before = snapshot(ledger as SqliteLedger);
    for (const dise_codg of ['M01600', undefined]) {
      const r = await call(platform, '2203', LV2, { mdtrtinfo: { mdtrt_id: reg.data.mdtrt_id, psn_no: CAO.psn_no, med_type: '14', dise_codg } });
      expect(r).toMatchObject({ infcode: -1, err_code: 'chronic_not_filed' });
    }
    expect(snapshot(ledger as SqliteLedger)).toEqual(before);

    // the visit's last 2203 (11, no disease) is what 2206/2207 check
    const { settle } = await visit(platform, LV2, CAO, '390', { med_type: '11' }, [{ code: 'XC08CAN010A001', pric: 30, cnt: 1 }]);
    const chronic = { data: { ...settle.data, med_type: '14' } };
    const mid = snapshot(ledger as SqliteLedger);
    for (const infno of ['2206', '2207']) expect(await call(platform, infno, LV2, chronic)).toMatchObject({ infcode: -1, err_code: 'chronic_not_filed' });
    expect(snapshot(ledger as SqliteLedger)).toEqual(mid);
  });

  it('checks the filing on the settlement date, and prices by the disease against its own counters', async () => {
    const { platform, clock } = await freshPlatform(WORLDS.demo);
    const { settle } = await visit(platform, LV2, CAO, '390', { med_type: '14', dise_codg: 'M03900' }, [{ code: 'XC08CAN010A001', pric: 30, cnt: 4 }, { code: 'XC10AAA050A001', pric: 80, cnt: 1 }]);
    const trial = await ok(platform, '2206', LV2, settle);
    // deductible left 50.00 of 100.00, (192.00 - 50.00) x 0.8 = 113.60 above the 100.00 left of the cap
    expect(trial.setlinfo).toMatchObject({ inscp_scp_amt: 192, act_pay_dedc: 50, pool_prop_selfpay: 0.8, hifp_pay: 100, psn_cash_pay: 100 });
    clock.set('2027-01-02T09:00:00+08:00');
    expect(await call(platform, '2207', LV2, settle)).toMatchObject({ infcode: -1, err_code: 'chronic_not_filed' });
  });

  it('prices 14 as 11 where the insutype has no chronic policy', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const lines = [{ code: 'XC08CAN010A001', pric: 30, cnt: 2 }];
    const as14 = await visit(platform, LV2, LIU, '310', { med_type: '14' }, lines);
    const as11 = await visit(platform, LV2, LIU, '310', { med_type: '11' }, lines);
    const a = await ok(platform, '2206', LV2, as14.settle);
    const b = await ok(platform, '2206', LV2, as11.settle);
    expect({ ...a.setlinfo, med_type: '11', mdtrt_id: null, medins_setl_id: null }).toEqual({ ...b.setlinfo, mdtrt_id: null, medins_setl_id: null });
  });
});

describe('filings: 2503, 2504, 5301', () => {
  const file = (psn_no: string, insutype: string, opsp_dise_code: string, begndate: string, enddate?: string) => ({ data: { psn_no, insutype, opsp_dise_code, begndate, enddate } });

  it('refuses each cause with its err_code and writes nothing', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const before = snapshot(ledger as SqliteLedger);
    const cases: [string, string, Record<string, unknown>][] = [
      ['chronic_already_filed', LV2, file(CAO.psn_no, '390', 'M03900', '2026-06-01', '2027-05-31')],
      ['chronic_disease_unknown', LV2, file(CAO.psn_no, '390', 'M99999', '2026-11-01')],
      ['policy_missing', LV2, file(LIU.psn_no, '310', 'M03900', '2026-11-01')],
      ['insurance_inactive', LV2, file('44030000000000000010', '310', 'M03900', '2026-11-01')],
      ['insurance_inactive', LV2, file(CAO.psn_no, '310', 'M03900', '2026-11-01')],
      ['person_unknown', LV2, file('44030000000000009999', '390', 'M03900', '2026-11-01')],
      ['malformed_input', LV2, file(CAO.psn_no, '390', 'M01600', '2026-11-01', '2026-10-31')],
      ['malformed_input', LV2, file(CAO.psn_no, '390', 'M01600', '2026-02-30')],
      ['malformed_input', LV2, { data: { psn_no: CAO.psn_no, insutype: '390', begndate: '2026-11-01' } }],
      ['wrong_institution_type', 'P44030000001', file(CAO.psn_no, '390', 'M01600', '2026-11-01')],
    ];
    for (const [code, inst, input] of cases) expect(await call(platform, '2503', inst, input), code).toMatchObject({ infcode: -1, err_code: code });
    expect(snapshot(ledger as SqliteLedger)).toEqual(before);
  });

  it('files, lists the world then 2503 in order, never files a retried msgid twice, and cancels', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const input = file(CAO.psn_no, '390', 'M01600', '2026-11-20');
    const first = await call(platform, '2503', LV2, input, 'FILE-1');
    expect(await call(platform, '2503', LV2, input, 'FILE-1')).toEqual(first);
    const sn = first.output.result.trt_dcla_detl_sn as string;
    expect(sn).toMatch(/^[0-9A-Za-z]{1,30}$/);
    const list = await ok(platform, '5301', LV1, { data: { psn_no: CAO.psn_no } });
    expect(list.feedetail).toEqual([
      { trt_dcla_detl_sn: 'MT440300000024', insutype: '390', opsp_dise_code: 'M03900', opsp_dise_name: '高血压', begndate: '2026-01-01', enddate: '2026-12-31' },
      { trt_dcla_detl_sn: sn, insutype: '390', opsp_dise_code: 'M01600', opsp_dise_name: '糖尿病', begndate: '2026-11-20', enddate: null },
    ]);
    expect(await call(platform, '2503', LV2, file(CAO.psn_no, '390', 'M01600', '2030-01-01'))).toMatchObject({ infcode: -1, err_code: 'chronic_already_filed' });

    expect(await call(platform, '2504', LV2, { data: { psn_no: '44030000000000000022', trt_dcla_detl_sn: sn } })).toMatchObject({ infcode: -1, err_code: 'filing_unknown' });
    expect(await call(platform, '2504', LV2, { data: { psn_no: CAO.psn_no, trt_dcla_detl_sn: 'NOSUCH' } })).toMatchObject({ infcode: -1, err_code: 'filing_unknown' });
    await ok(platform, '2504', LV2, { data: { psn_no: CAO.psn_no, trt_dcla_detl_sn: sn } });
    expect(await call(platform, '2504', LV2, { data: { psn_no: CAO.psn_no, trt_dcla_detl_sn: sn } })).toMatchObject({ infcode: -1, err_code: 'filing_cancelled' });
    expect((await ok(platform, '5301', LV2, { data: { psn_no: CAO.psn_no } })).feedetail.map((f: { trt_dcla_detl_sn: string }) => f.trt_dcla_detl_sn)).toEqual(['MT440300000024']);
    // a cancelled filing no longer overlaps
    await ok(platform, '2503', LV2, file(CAO.psn_no, '390', 'M01600', '2026-12-01', '2026-12-31'));
  });

  it("5301 names a world filing given without a name by the policy's name of the disease", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medpos-filing-'));
    cpSync(WORLDS.demo, dir, { recursive: true });
    const persons = JSON.parse(readFileSync(join(dir, 'persons.json'), 'utf8')) as { chronic?: { opsp_dise_name?: string }[] }[];
    for (const p of persons) for (const f of p.chronic ?? []) delete f.opsp_dise_name;
    writeFileSync(join(dir, 'persons.json'), JSON.stringify(persons));
    const { platform } = await freshPlatform(dir);
    expect((await ok(platform, '5301', LV2, { data: { psn_no: CAO.psn_no } })).feedetail).toMatchObject([{ trt_dcla_detl_sn: 'MT440300000024', opsp_dise_name: '高血压' }]);
  });

  it('a revoked filing ends med_type 14 and 2001 says so', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const q = { data: { psn_no: CAO.psn_no, insutype: '390', med_type: '14', dise_codg: 'M03900' } };
    expect((await ok(platform, '2001', LV2, q)).trtinfo).toEqual([{ psn_no: CAO.psn_no, fund_pay_type: '390100', trt_enjymnt_flag: '1', trt_chk_rslt: null }]);
    await ok(platform, '2504', LV2, { data: { psn_no: CAO.psn_no, trt_dcla_detl_sn: 'MT440300000024' } });
    const after = (await ok(platform, '2001', LV2, q)).trtinfo;
    expect(after).toMatchObject([{ fund_pay_type: '390100', trt_enjymnt_flag: '0' }]);
    expect(typeof after[0].trt_chk_rslt).toBe('string');
    const reg = await ok(platform, '2201', LV2, { data: { psn_no: CAO.psn_no, insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: CAO.certno, ipt_otp_no: 'MZ1' } });
    expect(await call(platform, '2203', LV2, { mdtrtinfo: { mdtrt_id: reg.data.mdtrt_id, psn_no: CAO.psn_no, med_type: '14', dise_codg: 'M03900' } })).toMatchObject({
      infcode: -1,
      err_code: 'chronic_not_filed',
    });
  });
});
