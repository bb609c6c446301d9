import { describe, expect, it } from 'vitest';
import { computeChronicSplit } from '../../src/core/chronic.ts';
import { openingCounters, addCounters, negateDeltas, zeroCounters, type YearCounters } from '../../src/core/counters.ts';
import { cancelledFunds, computeInpatientSplit, paidFunds, type AdmissionInForce, type InpatientSplit } from '../../src/core/inpatient.ts';
import { Refusal, type LineSplit } from '../../src/core/settle.ts';
import type { WorldIndex } from '../../src/core/world.ts';
import { worldIndex } from '../helpers.ts';
import { EXAMPLE_I, upload, uploadAll } from './inpatient-helpers.ts';

const I = worldIndex(EXAMPLE_I);
const DATE = '2026-11-20';

function settle(
  world: WorldIndex,
  psn: string,
  inst: string,
  lines: readonly LineSplit[],
  o: { insutype?: string; counters?: YearCounters; admission?: AdmissionInForce | null; balc?: number; date?: string } = {},
): InpatientSplit {
  const patient = world.persons.get(psn)!;
  const insutype = o.insutype ?? patient.insuinfo[0]!.insutype;
  const balc = o.balc ?? patient.insuinfo.find((i) => i.insutype === '310')?.balc ?? 0;
  return computeInpatientSplit(
    world,
    {
      institution: world.institutions.get(inst)!,
      patient,
      insutype,
      lines,
      medfee_sumamt: lines.reduce((s, l) => s + l.amount, 0),
      acctUsed: true,
      payer: { kind: 'own' },
      date: o.date ?? DATE,
    },
    { balances: new Map([[psn, balc]]), counters: o.counters ?? openingCounters(patient, insutype).counters, admission: o.admission ?? null },
  );
}

const figures = (s: InpatientSplit) => ({
  medfee_sumamt: s.medfee_sumamt,
  fulamt_ownpay_amt: s.fulamt_ownpay_amt,
  overlmt_selfpay: s.overlmt_selfpay,
  preselfpay_amt: s.preselfpay_amt,
  inscp_scp_amt: s.inscp_scp_amt,
  act_pay_dedc: s.act_pay_dedc,
  hifp_pay: s.hifp_pay,
  hifob_pay: s.hifob_pay,
  hifmi_pay: s.hifmi_pay,
  cvlserv_pay: s.cvlserv_pay,
  maf_pay: s.maf_pay,
  fund_pay_sumamt: s.fund_pay_sumamt,
  psn_part_amt: s.psn_part_amt,
  acct_pay: s.acct_pay,
  psn_cash_pay: s.psn_cash_pay,
  balc: s.balc,
});
const detail = (s: { funds: InpatientSplit['funds'] }) => paidFunds(s.funds).map((f) => [f.fund_pay_type, f.amount, f.capLeftAfter]);

const I1 = '44030000000000000020';
const I2 = '44030000000000000021';
const I3 = '44030000000000000022';
const I4 = '44030000000000000023';
const C1 = '44030000000000000026';
const LV3 = 'H44030000001';
const LV2 = 'H44030000002';
const LV1 = 'H44030000003';

describe('worked examples of inpatient.md section 9, to the fen', () => {
  it('I1: repeat deductible, the pool capped, the large-amount fund in its 0.8 band', () => {
    const lines = uploadAll(I, [
      upload('1', 'XC08CAN010A001', 45, 200),
      upload('2', '331000000010000', 21000, 1),
      upload('3', 'XL01EAI010A001', 300, 40),
      upload('4', 'C0310010010001', 5000, 1),
      upload('5', '110900001000000', 550, 3),
    ]);
    expect(lines.map((l) => [l.split.fulamt_ownpay_amt, l.split.overlmt_amt, l.split.preselfpay_amt, l.split.inscp_scp_amt])).toEqual([
      [0, 0, 0, 900000],
      [0, 0, 0, 2100000],
      [0, 0, 120000, 1080000],
      [0, 80000, 84000, 336000],
      [165000, 0, 0, 0],
    ]);
    const s = settle(I, I1, LV3, lines.map((l) => l.split), { balc: 300000 });
    expect(figures(s)).toEqual({
      medfee_sumamt: 4865000, fulamt_ownpay_amt: 165000, overlmt_selfpay: 80000, preselfpay_amt: 204000, inscp_scp_amt: 4416000,
      act_pay_dedc: 50000, hifp_pay: 1000000, hifob_pay: 2732800, hifmi_pay: 0, cvlserv_pay: 0, maf_pay: 0,
      fund_pay_sumamt: 3732800, psn_part_amt: 1132200, acct_pay: 300000, psn_cash_pay: 832200, balc: 0,
    });
    expect(s.pool_prop_selfpay).toBe(8500);
    expect(s.dedc_standard).toBe(50000);
    expect(detail(s)).toEqual([['310100', 1000000, 0], ['330100', 2732800, 45483200]]);
    expect(s.deltas.counters).toEqual({ ...zeroCounters(), ipt_cnt: 1, ipt_fund_used: 1000000, major_base: 3416000, major_fund_used: 2732800 });
  });

  it('I2: first admission of a retired civil servant: the pool, then the civil-servant subsidy', () => {
    const lines = uploadAll(I, [upload('1', '331000000010000', 15000, 1), upload('2', 'XJ01DHM010B001', 600, 10), upload('3', '110900001000000', 800, 1)]);
    const s = settle(I, I2, LV2, lines.map((l) => l.split), { balc: 500000 });
    expect(figures(s)).toEqual({
      medfee_sumamt: 2180000, fulamt_ownpay_amt: 80000, overlmt_selfpay: 0, preselfpay_amt: 90000, inscp_scp_amt: 2010000,
      act_pay_dedc: 70000, hifp_pay: 1804200, hifob_pay: 0, hifmi_pay: 0, cvlserv_pay: 123480, maf_pay: 0,
      fund_pay_sumamt: 1927680, psn_part_amt: 252320, acct_pay: 172320, psn_cash_pay: 80000, balc: 327680,
    });
    expect(detail(s).map((r) => r[0])).toEqual(['310100', '320100']);
    expect(s.funds.map((f) => f.fund_pay_type)).toEqual(['310100', '330100', '320100']); // the large-amount fund applied and paid 0
  });

  it('I3: a resident: the pool, serious-illness insurance over two bands, medical assistance by identity', () => {
    const lines = uploadAll(I, [upload('1', '331000000010000', 82000, 1), upload('2', 'XL01EAI010A001', 2000, 10), upload('3', '110900001000000', 1500, 2)]);
    const s = settle(I, I3, LV3, lines.map((l) => l.split));
    expect(figures(s)).toEqual({
      medfee_sumamt: 10500000, fulamt_ownpay_amt: 300000, overlmt_selfpay: 0, preselfpay_amt: 200000, inscp_scp_amt: 10000000,
      act_pay_dedc: 45000, hifp_pay: 6470750, hifob_pay: 0, hifmi_pay: 2170475, cvlserv_pay: 0, maf_pay: 951143,
      fund_pay_sumamt: 9592368, psn_part_amt: 907632, acct_pay: 0, psn_cash_pay: 907632, balc: 0,
    });
    expect(detail(s)).toEqual([
      ['390100', 6470750, 20000000 - 6470750],
      ['390200', 2170475, 40000000 - 300000 - 2170475],
      ['610100', 951143, 3000000 - 600000 - 951143],
    ]);
    expect(s.deltas.maf_psn_idet_type).toBe('2302');
  });

  it('I4: a mid-stay settlement takes the deductible; refund lines; the final takes what is left', () => {
    const patient = I.persons.get(I4)!;
    const first = uploadAll(I, [upload('1', '110200001000000', 50, 10), upload('2', '002101030010000', 250, 4)]);
    const mid = settle(I, I4, LV2, first.map((l) => l.split), { balc: 100000 });
    expect(figures(mid)).toMatchObject({ medfee_sumamt: 150000, preselfpay_amt: 10000, inscp_scp_amt: 140000, act_pay_dedc: 70000, hifp_pay: 60900, fund_pay_sumamt: 60900, psn_part_amt: 89100, acct_pay: 89100, psn_cash_pay: 0, balc: 10900 });
    const settled = first.map((l) => ({ ...l, settled: true }));
    const more = uploadAll(I, [upload('3', '331000000010000', 2000, 1), upload('4', '002503010010000', 100, 3), upload('5', '002503010010000', 100, -1, '4')], settled);
    expect([more[2]!.split.amount, more[2]!.split.preselfpay_amt, more[2]!.split.inscp_scp_amt]).toEqual([-10000, -1000, -9000]);
    const afterMid = addCounters(openingCounters(patient, '310').counters, mid.deltas.counters);
    const final = settle(I, I4, LV2, more.map((l) => l.split), { balc: mid.balc, counters: afterMid, admission: { dedcStandard: mid.dedc_standard, dedcPaid: mid.act_pay_dedc } });
    expect(figures(final)).toMatchObject({ medfee_sumamt: 220000, preselfpay_amt: 2000, inscp_scp_amt: 218000, act_pay_dedc: 0, hifp_pay: 189660, fund_pay_sumamt: 189660, psn_part_amt: 30340, acct_pay: 10900, psn_cash_pay: 19440, balc: 0 });
    expect(final.deltas.counters.ipt_cnt).toBe(0);
    const after = addCounters(afterMid, final.deltas.counters);
    expect([after.ipt_cnt, after.ipt_fund_used, after.major_base]).toEqual([1, 250560, 107440]);
    expect(detail(mid).map((r) => r[0])).toEqual(['310100']);
  });

  it('C1: a chronic disease under its own deductible, ratio and cap; outpatient counters unchanged', () => {
    const patient = I.persons.get(C1)!;
    const lines = uploadAll(I, [upload('1', 'XC08CAN010A001', 30, 10), upload('2', 'XC10AAA050A001', 120, 1)]).map((l) => l.split);
    const s = computeChronicSplit(
      I,
      { institution: I.institutions.get(LV1)!, patient, insutype: '310', med_type: '14', lines, medfee_sumamt: 42000, acctUsed: true, payer: { kind: 'own' }, dise_codg: 'M03900', date: DATE },
      { balances: new Map([[C1, 100000]]), chronic: openingCounters(patient, '310').chronic.get('M03900')! },
    );
    expect(s).toMatchObject({ medfee_sumamt: 42000, preselfpay_amt: 1200, inscp_scp_amt: 40800, act_pay_dedc: 5000, hifp_pay: 10000, fund_pay_sumamt: 10000, psn_part_amt: 32000, acct_pay: 32000, psn_cash_pay: 0, balc: 68000 });
    expect(s.funds.map((f) => [f.fund_pay_type, f.amount, f.capLeftAfter])).toEqual([['310100', 10000, 0]]);
    expect(s.deltas.counters).toEqual(zeroCounters());
    expect(s.deltas.chronic).toEqual({ opsp_dise_code: 'M03900', dedc_used: 5000, fund_used: 10000 });
  });
});

describe('the money of section 5 beyond the examples', () => {
  const lines = () => uploadAll(I, [upload('1', '331000000010000', 5000, 1)]).map((l) => l.split);

  it('a first admission pays the full deductible of the hospital level, a repeat one the reduced one', () => {
    expect(settle(I, I4, LV1, lines()).act_pay_dedc).toBe(40000);
    expect(settle(I, I4, LV3, lines()).act_pay_dedc).toBe(100000);
    expect(settle(I, I4, LV3, lines(), { counters: { ...zeroCounters(), ipt_cnt: 2 } }).act_pay_dedc).toBe(50000);
  });

  it('while the admission has settlements in force, their standard holds and only what is left is taken', () => {
    const s = settle(I, I4, LV3, lines(), { counters: { ...zeroCounters(), ipt_cnt: 1 }, admission: { dedcStandard: 100000, dedcPaid: 30000 } });
    expect(s.act_pay_dedc).toBe(70000);
    expect(s.dedc_standard).toBe(100000);
    expect(s.deltas.counters.ipt_cnt).toBe(0);
  });

  it('the inpatient cap is separate from the outpatient one, and never goes below zero', () => {
    const s = settle(I, I4, LV3, lines(), { counters: { ...zeroCounters(), fund_used: 400000, ipt_fund_used: 30_000_000 + 5 } });
    expect(s.hifp_pay).toBe(0);
    expect(s.crt_payb_lmt_amt).toBe(0);
    expect(s.deltas.counters.fund_used).toBe(0);
    expect(s.deltas.counters.dedc_used).toBe(0);
  });

  it('the large-amount fund stops at its cap', () => {
    const big = uploadAll(I, [upload('1', '331000000010000', 200000, 1)]).map((l) => l.split);
    const s = settle(I, I1, LV3, big, { counters: { ...zeroCounters(), ipt_cnt: 1, ipt_fund_used: 30_000_000, major_base: 5_000_000, major_fund_used: 49_990_000 } });
    expect(s.hifob_pay).toBe(10000);
    expect(paidFunds(s.funds).find((f) => f.field === 'hifob_pay')!.capLeftAfter).toBe(0);
  });

  it('an identity that ended before the settlement date gives no medical assistance', () => {
    const s = settle(I, I3, LV3, lines(), { date: '2026-11-20' });
    expect(s.maf_pay).toBeGreaterThan(0);
    const demo = worldIndex('fixtures/worlds/demo');
    const expired = settle(demo, '44030000000000000025', LV3, lines());
    expect(expired.maf_pay).toBe(0);
    expect(expired.funds.map((f) => f.field)).toEqual(['hifp_pay', 'hifmi_pay']);
  });

  it('refuses a missing ratio, a pharmacy, inactive insurance and a sum that does not add up', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof Refusal ? e.err_code : String(e);
      }
      return 'no refusal';
    };
    const demo = worldIndex('fixtures/worlds/demo');
    expect(code(() => settle(demo, '44030000000000000019', LV3, lines()))).toBe('ratio_missing'); // psn_type 12, no default
    expect(code(() => settle(I, I4, 'P44030000001', lines()))).toBe('wrong_institution_type');
    expect(code(() => settle(demo, '44030000000000000010', LV3, lines()))).toBe('insurance_inactive');
    const patient = I.persons.get(I4)!;
    expect(
      code(() =>
        computeInpatientSplit(
          I,
          { institution: I.institutions.get(LV3)!, patient, insutype: '310', lines: lines(), medfee_sumamt: 1, acctUsed: true, payer: { kind: 'own' }, date: DATE },
          { balances: new Map(), counters: zeroCounters(), admission: null },
        ),
      ),
    ).toBe('sum_mismatch');
  });

  it('undoing a settlement takes off exactly what it added', () => {
    const s = settle(I, I1, LV3, lines());
    const before = openingCounters(I.persons.get(I1)!, '310').counters;
    expect(addCounters(addCounters(before, s.deltas.counters), negateDeltas(s.deltas).counters)).toEqual(before);
  });
});

describe('2305 setldetail', () => {
  it('negates the original funds and gives each cap left after the cancellation', () => {
    const lines = uploadAll(I, [upload('1', '331000000010000', 82000, 1), upload('2', 'XL01EAI010A001', 2000, 10), upload('3', '110900001000000', 1500, 2)]);
    const s = settle(I, I3, LV3, lines.map((l) => l.split));
    const opening = openingCounters(I.persons.get(I3)!, '390').counters;
    const rows = cancelledFunds(I, s, opening);
    expect(paidFunds(s.funds).length).toBe(3);
    expect(rows.map((f) => [f.fund_pay_type, f.amount, f.capLeftAfter])).toEqual([
      ['390100', -6470750, 20000000],
      ['390200', -2170475, 40000000 - 300000],
      ['610100', -951143, 3000000 - 600000],
    ]);
  });
});
