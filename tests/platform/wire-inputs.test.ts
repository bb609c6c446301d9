/** Inputs as clients send them (clients.md section 2), and the wire schemas' JSON Schema. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Refusal } from '../../src/core/settle.ts';
import { inputs, parseInput, wireSchema, type InputKey } from '../../src/platform/inputs.ts';

const line = { feedetl_sn: 'F1', med_list_codg: 'X', det_item_fee_sumamt: '25.00', cnt: '2', pric: '12.50', mdtrt_id: 'M1', psn_no: 'P1' };
const refusal = (fn: () => unknown): Refusal => {
  try {
    fn();
  } catch (err) {
    if (err instanceof Refusal) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('wire inputs', () => {
  it('reads decimal strings as numbers: fen for yuan, x 10 000 for counts and prices, exactly', () => {
    const a = parseInput('2204', { feedetail: [line] }).feedetail[0]!;
    const b = parseInput('2204', { feedetail: [{ ...line, det_item_fee_sumamt: 25, cnt: 2, pric: 12.5 }] }).feedetail[0]!;
    expect(a).toMatchObject({ det_item_fee_sumamt: 2500, cnt: 20_000, pric: 125_000 });
    expect(b).toMatchObject({ det_item_fee_sumamt: 2500, cnt: 20_000, pric: 125_000 });
    expect(parseInput('2204', { feedetail: [{ ...line, det_item_fee_sumamt: '0.29', pric: '0.2900', cnt: '1.0000' }] }).feedetail[0]).toMatchObject({ det_item_fee_sumamt: 29, pric: 2900 });
    expect(parseInput('2204', { feedetail: [{ ...line, cnt: '-2' }] }).feedetail[0]!.cnt).toBe(-20_000); // a refund line
  });

  it('refuses a string that is not a decimal with the allowed places, naming the field', () => {
    for (const [field, value] of [
      ['det_item_fee_sumamt', '25.001'],
      ['det_item_fee_sumamt', '1e3'],
      ['cnt', '2 boxes'],
      ['pric', '12.50001'],
      ['pric', ''],
      ['cnt', ' 2'],
    ] as const) {
      const r = refusal(() => parseInput('2204', { feedetail: [{ ...line, [field]: value }] }));
      expect(r.err_code).toBe('malformed_input');
      expect(r.message).toContain(`input.feedetail[0].${field}`);
    }
  });

  it('takes blank optional fields as absent, and the time forms', () => {
    const d = parseInput('2201', {
      data: { psn_no: 'P1', insutype: '310', begntime: '2026-11-20T09:40:00', mdtrt_cert_type: '02', mdtrt_cert_no: 'C', card_sn: '', ipt_otp_no: 'MZ1', atddr_no: '' },
    }).data;
    expect(d).not.toHaveProperty('card_sn');
    expect(d).not.toHaveProperty('atddr_no');
    expect(d.begntime).toBe('2026-11-20 09:40:00');
    expect(parseInput('2201', { data: { psn_no: 'P1', insutype: '310', begntime: '2026-11-20', mdtrt_cert_type: '02', mdtrt_cert_no: 'C', ipt_otp_no: 'MZ1' } }).data.begntime).toBe('2026-11-20 00:00:00');
    expect(parseInput('2204', { feedetail: [{ ...line, hosp_appr_flag: '' }] }).feedetail[0]).not.toHaveProperty('hosp_appr_flag');
    expect(refusal(() => parseInput('2204', { feedetail: [{ ...line, hosp_appr_flag: '7' }] })).message).toContain('hosp_appr_flag: must be "0", "1" or "2"');
  });

  it('reads REFD_SETL_FLAG as refd_setl_flag, "1" by default on 3201', () => {
    const base = { insutype: '310', clr_type: '41', stmt_begndate: '2026-11-20', stmt_enddate: '2026-11-20 23:59:59', medfee_sumamt: '0', fund_pay_sumamt: '0.00', acct_pay: 0, fixmedins_setl_cnt: '0' };
    expect(parseInput('3201', { data: { ...base, REFD_SETL_FLAG: '0' } }).data).toMatchObject({ refd_setl_flag: '0', stmt_enddate: '2026-11-20' });
    expect(parseInput('3201', { data: { ...base, refd_setl_flag: '' } }).data.refd_setl_flag).toBe('1');
    expect(parseInput('3201', { data: base }).data).not.toHaveProperty('REFD_SETL_FLAG');
    expect(refusal(() => parseInput('3201', { data: { ...base, fixmedins_setl_cnt: '1.5' } })).message).toContain('fixmedins_setl_cnt');
  });

  it('reads the inpatient node variants: mdtrtinfo for adminfo/dscginfo, bare data inputs, dscgTime', () => {
    const dscg = { mdtrt_id: 'M1', psn_no: 'P1', endtime: '2026-11-19T10:00:00', dscg_way: '' };
    expect(parseInput('2402', { mdtrtinfo: dscg, diseinfo: [] })).toEqual(parseInput('2402', { dscginfo: dscg, diseinfo: [] }));
    expect(parseInput('2402', { mdtrtinfo: dscg }).dscginfo).toEqual({ mdtrt_id: 'M1', psn_no: 'P1', endtime: '2026-11-19 10:00:00' });
    expect(parseInput('2403', { mdtrtinfo: { mdtrt_id: 'M1', psn_no: 'P1', begntime: '2026-11-10' } })).toEqual({ adminfo: { mdtrt_id: 'M1', psn_no: 'P1', begntime: '2026-11-10 00:00:00' } });
    expect(parseInput('2404', { mdtrt_id: 'M1', psn_no: 'P1', expContent: {} })).toEqual({ data: { mdtrt_id: 'M1', psn_no: 'P1', expContent: {} } });
    expect(parseInput('2405', { mdtrt_id: 'M1', psn_no: 'P1' })).toEqual(parseInput('2405', { data: { mdtrt_id: 'M1', psn_no: 'P1' } }));
    expect(parseInput('2302', { mdtrt_id: 'M1', psn_no: 'P1', feedetl_sn: '5' }).data.feedetl_sn).toBe('5');
    expect(parseInput('2305', { mdtrt_id: 'M1', setl_id: 'S1', psn_no: 'P1' }).data.setl_id).toBe('S1');
    const stay = { psn_no: 'P1', mdtrt_cert_type: '02', mdtrt_cert_no: 'C', medfee_sumamt: '15.00', mdtrt_id: 'M1', insutype: '310', acct_used_flag: '1', mid_setl_flag: '0' };
    const bare = parseInput('2303', { ...stay, dscgTime: '2026-11-19T10:00:00', card_sn: '' }).data;
    expect(bare).toMatchObject({ medfee_sumamt: 1500, dscg_time: '2026-11-19 10:00:00' });
    expect(bare).not.toHaveProperty('dscgTime');
    expect(bare).not.toHaveProperty('card_sn');
    expect(parseInput('2303', { data: { ...stay, dscg_time: '2026-11-19 10:00:00', dscgTime: '' } }).data).toMatchObject({ dscg_time: '2026-11-19 10:00:00' });
    // a bad field of a bare input is named as sent
    expect(refusal(() => parseInput('2303', { ...stay, medfee_sumamt: '1.234' })).message).toContain('input.medfee_sumamt');
    expect(refusal(() => parseInput('2303', { data: { ...stay, dscgTime: 'yesterday' } })).message).toContain('input.data.dscgTime');
    expect(refusal(() => parseInput('2402', { mdtrtinfo: { ...dscg, endtime: '' } })).message).toContain('input.mdtrtinfo.endtime');
  });

  it('refuses an inpatient input carrying both forms, naming them', () => {
    const visit = { mdtrt_id: 'M1', psn_no: 'P1' };
    for (const [key, input, names] of [
      ['2402', { dscginfo: { ...visit, endtime: '2026-11-19' }, mdtrtinfo: { ...visit, endtime: '2026-11-19' } }, 'dscginfo and mdtrtinfo'],
      ['2403', { adminfo: visit, mdtrtinfo: visit }, 'adminfo and mdtrtinfo'],
      ['2404', { data: visit, ...visit }, 'data and its fields bare'],
      ['2405', { data: visit, psn_no: 'P2' }, 'data and its fields bare'],
      ['2302', { data: { ...visit, feedetl_sn: '5' }, feedetl_sn: '5' }, 'data and its fields bare'],
    ] as const) {
      const r = refusal(() => parseInput(key, input));
      expect(r.err_code, key).toBe('malformed_input');
      expect(r.message, key).toContain(names);
      expect(wireSchema(key).safeParse(input).success, key).toBe(false);
    }
  });

  it('every wire schema converts to a JSON Schema that allows the string forms', () => {
    for (const key of Object.keys(inputs) as InputKey[]) {
      const schema = z.toJSONSchema(wireSchema(key), { io: 'input' }) as { type?: string; anyOf?: { type?: string }[] };
      // a node-variant input is the union of its two forms, both objects
      expect(schema.anyOf?.map((s) => s.type) ?? [schema.type], key).toEqual(schema.anyOf ? ['object', 'object'] : ['object']);
    }
    const text = JSON.stringify(z.toJSONSchema(wireSchema('2204'), { io: 'input' }));
    expect(text).toContain('"type":"string","pattern"');
    expect(text).toContain('"type":"number"');
  });
});
