import { describe, expect, it } from 'vitest';
import { checkChronicFiled, checkFilingCancel, checkNewFiling, filingInForce, usesChronicPolicy, worldFilings, type FilingFacts } from '../../src/core/chronic.ts';
import { checkSettlementLines, checkWithdraw, checkWithdrawAll, type StoredFeeLine } from '../../src/core/fee-lines.ts';
import { eligibility } from '../../src/core/eligibility.ts';
import { checkInpatientMedType, requireInpatientPolicy } from '../../src/core/inpatient.ts';
import { Refusal } from '../../src/core/settle.ts';
import { worldIndex } from '../helpers.ts';
import { EXAMPLE_I, upload, uploadAll } from './inpatient-helpers.ts';

const I = worldIndex(EXAMPLE_I);
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof Refusal ? e.err_code : `error: ${(e as Error).message}`;
  }
  return 'no refusal';
};

describe('fee lines and refund lines (inpatient.md section 4)', () => {
  const base = () => uploadAll(I, [upload('4', '002503010010000', 100, 3), upload('7', 'XC08CAN010A001', 45, 2)]);

  it('splits positive lines at the date of the call, in request order', () => {
    const lines = base();
    expect(lines.map((l) => [l.feedetl_sn, l.split.amount, l.split.preselfpay_amt, l.split.inscp_scp_amt, l.live, l.settled])).toEqual([
      ['4', 30000, 3000, 27000, true, false],
      ['7', 9000, 0, 9000, true, false],
    ]);
  });

  it('a refund line copies its original split, negated, and may come in the same request as its original', () => {
    const lines = uploadAll(I, [upload('4', '002503010010000', 100, 3), upload('R4', '002503010010000', 100, -2, '4')]);
    expect(lines[1]).toMatchObject({ init_feedetl_sn: '4', cntE4: -20000 });
    expect([lines[1]!.split.amount, lines[1]!.split.preselfpay_amt, lines[1]!.split.inscp_scp_amt, lines[1]!.split.fulamt_ownpay_amt]).toEqual([-20000, -2000, -18000, 0]);
  });

  it('a refund line is split as its original was, on its date, whatever the catalog says today', () => {
    // an item valid until 2023-12-31: uploaded then, it was covered; refunded in 2026, it stays covered
    const demo = worldIndex('fixtures/worlds/demo');
    const original = planOn(demo, [upload('1', 'XR05CBF010A001', 8, 2)], [], '2023-12-30');
    const refund = planOn(demo, [upload('2', 'XR05CBF010A001', 8, -1, '1')], original, '2026-11-20');
    expect(original[0]!.split.inscp_scp_amt).toBe(1600);
    expect(refund[0]!.split.inscp_scp_amt).toBe(-800);
    expect(refund[0]!.split.fulamt_ownpay_amt).toBe(0);
  });

  it('refuses each bad line, all or nothing', () => {
    const stored = base();
    const settled = stored.map((l) => (l.feedetl_sn === '7' ? { ...l, settled: true } : l));
    const withdrawn = stored.map((l) => (l.feedetl_sn === '4' ? { ...l, live: false } : l));
    const refund = uploadAll(I, [upload('R1', '002503010010000', 100, -2, '4')], stored);
    const cases: [string, () => unknown][] = [
      ['line_not_positive', () => uploadAll(I, [upload('9', 'XC08CAN010A001', 0, 1)], stored)],
      ['line_not_positive', () => uploadAll(I, [upload('9', 'XC08CAN010A001', 5, 0)], stored)],
      ['line_not_positive', () => uploadAll(I, [upload('9', 'XC08CAN010A001', 45, -1)], stored)],
      ['duplicate_feedetl_sn', () => uploadAll(I, [upload('4', 'XC08CAN010A001', 45, 1)], stored)],
      ['duplicate_feedetl_sn', () => uploadAll(I, [upload('9', 'XC08CAN010A001', 45, 1), upload('9', 'XC08CAN010A001', 45, 1)], stored)],
      ['duplicate_feedetl_sn', () => uploadAll(I, [upload('4', 'XC08CAN010A001', 45, 1)], withdrawn)],
      ['line_amount_mismatch', () => uploadAll(I, [{ ...upload('9', 'XC08CAN010A001', 45, 1), amount: 4501 }], stored)],
      ['line_amount_mismatch', () => uploadAll(I, [{ ...upload('R', '002503010010000', 100, -1, '4'), amount: 10000 }], stored)],
      ['refund_line_unknown', () => uploadAll(I, [upload('R', '002503010010000', 100, -1, 'nope')], stored)],
      ['refund_line_unknown', () => uploadAll(I, [upload('R', '002503010010000', 100, -1, '4')], withdrawn)],
      ['refund_line_unknown', () => uploadAll(I, [upload('R2', '002503010010000', 100, -1, 'R1')], [...stored, ...refund])],
      ['refund_line_unknown', () => uploadAll(I, [upload('R', '002503010010000', 100, -1, '4', 'M2')], stored)],
      ['refund_line_settled', () => uploadAll(I, [upload('R', 'XC08CAN010A001', 45, -1, '7')], settled)],
      ['refund_mismatch', () => uploadAll(I, [upload('R', 'XC08CAN010A001', 100, -1, '4')], stored)],
      ['refund_mismatch', () => uploadAll(I, [upload('R', '002503010010000', 90, -1, '4')], stored)],
      ['refund_exceeds', () => uploadAll(I, [upload('R', '002503010010000', 100, -4, '4')], stored)],
      ['refund_exceeds', () => uploadAll(I, [upload('R2', '002503010010000', 100, -2, '4')], [...stored, ...refund])],
      ['refund_exceeds', () => uploadAll(I, [upload('R2', '002503010010000', 100, -2, '4'), upload('R3', '002503010010000', 100, -2, '4')], stored)],
    ];
    expect(cases.map(([, f]) => codeOf(f))).toEqual(cases.map(([c]) => c));
    // within the bound: the refunds so far and this one make the original's count exactly
    expect(codeOf(() => uploadAll(I, [upload('R2', '002503010010000', 100, -1, '4')], [...stored, ...refund]))).toBe('no refusal');
    // a withdrawn refund no longer counts against its original
    expect(codeOf(() => uploadAll(I, [upload('R2', '002503010010000', 100, -3, '4')], [...stored, ...refund.map((l) => ({ ...l, live: false }))]))).toBe('no refusal');
  });

  it('on a positive line init_feedetl_sn is ignored', () => {
    const [line] = uploadAll(I, [upload('9', 'XC08CAN010A001', 45, 1, 'whatever')]);
    expect(line!.init_feedetl_sn).toBeNull();
  });

  it('2302: withdraws one live unsettled line without live refunds; "0000" every live unsettled one', () => {
    const [orig, refund] = uploadAll(I, [upload('4', '002503010010000', 100, 3), upload('R', '002503010010000', 100, -1, '4')]) as [StoredFeeLine, StoredFeeLine];
    expect(codeOf(() => checkWithdraw(undefined, 'x', 0))).toBe('fee_line_unknown');
    expect(codeOf(() => checkWithdraw({ ...orig, live: false }, '4', 0))).toBe('fee_line_unknown');
    expect(codeOf(() => checkWithdraw({ ...orig, settled: true }, '4', 0))).toBe('fee_line_settled');
    expect(codeOf(() => checkWithdraw(orig, '4', 1))).toBe('refund_lines_exist');
    expect(checkWithdraw(refund, 'R', 0)).toBe(refund);
    expect(checkWithdraw(orig, '4', 0)).toBe(orig);
    expect(checkWithdrawAll([orig, refund, { ...orig, feedetl_sn: 'S', settled: true }])).toEqual([orig, refund]);
    expect(codeOf(() => checkWithdrawAll([{ ...orig, settled: true }, { ...refund, live: false }]))).toBe('no_fee_lines');
  });

  it('a settlement needs lines, except a final one closing a stay its mid-stay settlements cover', () => {
    expect(codeOf(() => checkSettlementLines(0, true, true))).toBe('no_fee_lines');
    expect(codeOf(() => checkSettlementLines(0, false, false))).toBe('no_fee_lines');
    expect(codeOf(() => checkSettlementLines(0, false, true))).toBe('no refusal');
    expect(codeOf(() => checkSettlementLines(2, true, false))).toBe('no refusal');
  });
});

function planOn(world: ReturnType<typeof worldIndex>, lines: Parameters<typeof uploadAll>[1], existing: StoredFeeLine[], date: string) {
  return uploadAll(world, lines, existing, date);
}

describe('inpatient codes (section 1)', () => {
  it('inpatient med_types only, only at hospitals; policy_missing without an inpatient policy', () => {
    expect(codeOf(() => checkInpatientMedType(I.institutions.get('H44030000001')!, '21'))).toBe('no refusal');
    expect(codeOf(() => checkInpatientMedType(I.institutions.get('H44030000001')!, '28'))).toBe('no refusal');
    expect(codeOf(() => checkInpatientMedType(I.institutions.get('H44030000001')!, '11'))).toBe('med_type_not_allowed');
    expect(codeOf(() => checkInpatientMedType(I.institutions.get('P44030000001')!, '21'))).toBe('wrong_institution_type');
    expect(codeOf(() => requireInpatientPolicy(worldIndex('fixtures/worlds/example-h'), '310'))).toBe('policy_missing');
  });
});

describe('chronic diseases (section 7)', () => {
  const person = I.persons.get('44030000000000000026')!;
  const filings = worldFilings(I, person);

  it('the world filing is in force within its dates, and names its disease', () => {
    expect(filings).toEqual([
      { trt_dcla_detl_sn: 'MT440300000026', psn_no: person.baseinfo.psn_no, insutype: '310', opsp_dise_code: 'M03900', opsp_dise_name: '高血压', begndate: '2026-01-01', enddate: '2026-12-31', cancelled: false },
    ]);
    expect(filingInForce(filings[0]!, '2026-12-31')).toBe(true);
    expect(filingInForce(filings[0]!, '2027-01-01')).toBe(false);
    expect(filingInForce({ ...filings[0]!, enddate: null }, '2030-01-01')).toBe(true);
    expect(filingInForce({ ...filings[0]!, cancelled: true }, '2026-06-01')).toBe(false);
  });

  it('med_type 14 follows section 7 only where the policy has chronic for the insutype', () => {
    expect(usesChronicPolicy(I, '310', '14')).toBe(true);
    expect(usesChronicPolicy(I, '390', '14')).toBe(false);
    expect(usesChronicPolicy(I, '310', '11')).toBe(false);
  });

  it('chronic_not_filed without a filing in force for the disease on the date', () => {
    expect(codeOf(() => checkChronicFiled(filings, '310', 'M03900', '2026-11-20'))).toBe('no refusal');
    expect(codeOf(() => checkChronicFiled(filings, '310', 'M03900', '2025-12-31'))).toBe('chronic_not_filed');
    expect(codeOf(() => checkChronicFiled(filings, '310', 'M01600', '2026-11-20'))).toBe('chronic_not_filed');
    expect(codeOf(() => checkChronicFiled(filings, '310', undefined, '2026-11-20'))).toBe('chronic_not_filed');
    expect(codeOf(() => checkChronicFiled([{ ...filings[0]!, cancelled: true }], '310', 'M03900', '2026-11-20'))).toBe('chronic_not_filed');
  });

  it('2503 and 2504 refusals', () => {
    const file = (f: Partial<Parameters<typeof checkNewFiling>[2]>, p = person, existing: FilingFacts[] = filings) =>
      codeOf(() => checkNewFiling(I, p, { insutype: '310', opsp_dise_code: 'M03900', begndate: '2027-01-01', enddate: null, ...f }, existing));
    expect(file({})).toBe('no refusal');
    expect(file({ insutype: '390' })).toBe('insurance_inactive');
    expect(file({ insutype: '390' }, I.persons.get('44030000000000000022')!)).toBe('policy_missing');
    expect(file({ opsp_dise_code: 'X99' })).toBe('chronic_disease_unknown');
    expect(file({ begndate: '2026-12-31' })).toBe('chronic_already_filed');
    expect(file({ begndate: '2026-06-01' }, person, [{ ...filings[0]!, cancelled: true }])).toBe('no refusal');
    expect(file({ begndate: '2027-02-01', enddate: '2027-01-01' })).toBe('malformed_input');
    expect(codeOf(() => checkFilingCancel(undefined, person.baseinfo.psn_no, 'F'))).toBe('filing_unknown');
    expect(codeOf(() => checkFilingCancel(filings[0], 'someone else', 'MT440300000026'))).toBe('filing_unknown');
    expect(codeOf(() => checkFilingCancel({ ...filings[0]!, cancelled: true }, person.baseinfo.psn_no, 'MT440300000026'))).toBe('filing_cancelled');
  });
});

describe('2001 eligibility (section 8)', () => {
  const demo = worldIndex('fixtures/worlds/demo');
  const ask = (world: typeof I, psn: string, q: { insutype: string; med_type: string; date?: string; dise_codg?: string }) =>
    eligibility(world, world.persons.get(psn)!, { date: '2026-11-20', ...q }, worldFilings(world, world.persons.get(psn)!)).map((r) => [r.fund_pay_type, r.trt_enjymnt_flag]);

  it('inpatient rows in order: the pool, the further funds the policy has, the account for 310', () => {
    expect(ask(I, '44030000000000000021', { insutype: '310', med_type: '21' })).toEqual([['310100', '1'], ['330100', '1'], ['320100', '1'], ['310200', '1']]);
    expect(ask(I, '44030000000000000020', { insutype: '310', med_type: '21' })).toEqual([['310100', '1'], ['330100', '1'], ['320100', '0'], ['310200', '1']]);
    expect(ask(I, '44030000000000000022', { insutype: '390', med_type: '22' })).toEqual([['390100', '1'], ['390200', '1'], ['610100', '1']]);
    expect(ask(demo, '44030000000000000025', { insutype: '390', med_type: '21' })).toEqual([['390100', '1'], ['390200', '1'], ['610100', '0']]);
    expect(ask(demo, '44030000000000000025', { insutype: '390', med_type: '21', date: '2025-06-01' })).toEqual([['390100', '1'], ['390200', '1'], ['610100', '1']]);
  });

  it('"0" with a reason: no pooling at a pharmacy, inactive insurance, no policy, no filing; no insurance at all is refused', () => {
    const rows = eligibility(demo, demo.persons.get('44030000000000000002')!, { insutype: '310', med_type: '41', date: '2026-11-20' }, []);
    expect(rows.map((r) => [r.fund_pay_type, r.trt_enjymnt_flag])).toEqual([['310100', '0'], ['310200', '1']]);
    expect(rows[0]!.trt_chk_rslt).toMatch(/pharmacy/);
    expect(rows[1]!.trt_chk_rslt).toBeNull();
    expect(ask(demo, '44030000000000000010', { insutype: '310', med_type: '21' })).toEqual([['310100', '0'], ['330100', '0'], ['320100', '0'], ['310200', '0']]);
    expect(ask(worldIndex('fixtures/worlds/example-h'), '44030000000000000001', { insutype: '310', med_type: '21' })).toEqual([['310100', '0'], ['310200', '1']]);
    expect(ask(I, '44030000000000000026', { insutype: '310', med_type: '14', dise_codg: 'M03900' })).toEqual([['310100', '1'], ['310200', '1']]);
    expect(ask(I, '44030000000000000026', { insutype: '310', med_type: '14', dise_codg: 'M03900', date: '2027-01-02' })).toEqual([['310100', '0'], ['310200', '1']]);
    expect(ask(I, '44030000000000000021', { insutype: '310', med_type: '11' })).toEqual([['310100', '1'], ['310200', '1']]);
    expect(codeOf(() => ask(I, '44030000000000000022', { insutype: '310', med_type: '21' }))).toBe('insurance_inactive');
  });
});
