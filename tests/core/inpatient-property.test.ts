/**
 * Property tests over random stays under random inpatient policies (inpatient.md sections 4-6):
 * upload batches with refund lines, settle mid-stay then final, then undo in reverse order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addCounters, counterBounds, negateDeltas, openingCounters, YEAR_COUNTERS, type YearCounters } from '../../src/core/counters.ts';
import type { StoredFeeLine, UploadLine } from '../../src/core/fee-lines.ts';
import { computeInpatientSplit, type AdmissionInForce, type InpatientSplit } from '../../src/core/inpatient.ts';
import { applyRatio, mulDivHalfUp } from '../../src/core/money.ts';
import { parseWorld, readWorldFiles, WorldIndex, type WorldFiles } from '../../src/core/world.ts';
import { EXAMPLE_I, uploadAll } from './inpatient-helpers.ts';

const BASE = readWorldFiles(EXAMPLE_I);
const DATE = '2026-11-20';
const yuan = (fen: number) => fen / 100;
const ratioJson = (r: number) => r / 10_000;

const ratioArb = fc.integer({ min: 0, max: 10_000 });
const byLv = fc.record({ '1': ratioArb, '2': ratioArb, '3': ratioArb });

const majorArb = fc
  .record({
    threshold: fc.integer({ min: 0, max: 5_000_000 }),
    steps: fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 0, maxLength: 3 }),
    ratios: fc.array(ratioArb, { minLength: 4, maxLength: 4 }),
    open: fc.boolean(),
    cap: fc.option(fc.integer({ min: 0, max: 60_000_000 }), { nil: null }),
  })
  .map((m) => {
    let upto = m.threshold;
    const bands = m.steps.map((s, k) => ({ upto: yuan((upto += s)), ratio: ratioJson(m.ratios[k]!) }));
    if (m.open || bands.length === 0) bands.push({ upto: null as never, ratio: ratioJson(m.ratios[3]!) });
    return { threshold: yuan(m.threshold), bands, cap: m.cap === null ? null : yuan(m.cap) };
  });

const inpatientArb = fc.record({
  deductible: fc.record({ '1': fc.integer({ min: 0, max: 200_000 }), '2': fc.integer({ min: 0, max: 200_000 }), '3': fc.integer({ min: 0, max: 200_000 }) }),
  repeat: ratioArb,
  ratio: byLv,
  cap: fc.integer({ min: 0, max: 50_000_000 }),
  major: fc.option(majorArb, { nil: undefined }),
  cvlserv: fc.option(fc.record({ ratio: ratioArb, cap: fc.integer({ min: 0, max: 10_000_000 }) }), { nil: undefined }),
  maf: fc.option(fc.tuple(fc.record({ ratio: ratioArb, cap: fc.integer({ min: 0, max: 10_000_000 }) }), fc.record({ ratio: ratioArb, cap: fc.integer({ min: 0, max: 10_000_000 }) })), { nil: undefined }),
});
type InpatientArb = typeof inpatientArb extends fc.Arbitrary<infer T> ? T : never;

function worldWith(p310: InpatientArb, p390: InpatientArb): WorldIndex {
  const files = structuredClone(BASE) as WorldFiles;
  const insutype = (files['world.json'] as { policy: { insutype: Record<string, Record<string, unknown>> } }).policy.insutype;
  const json = (p: InpatientArb, employee: boolean) => ({
    deductible: { '1': yuan(p.deductible['1']), '2': yuan(p.deductible['2']), '3': yuan(p.deductible['3']) },
    repeat_dedc_ratio: ratioJson(p.repeat),
    ratio: { default: { '1': ratioJson(p.ratio['1']), '2': ratioJson(p.ratio['2']), '3': ratioJson(p.ratio['3']) } },
    cap: yuan(p.cap),
    ...(p.major && { major_illness: p.major }),
    ...(employee && p.cvlserv && { cvlserv: { ratio: { default: ratioJson(p.cvlserv.ratio) }, cap: yuan(p.cvlserv.cap) } }),
    ...(p.maf && {
      maf: [
        { psn_idet_type: '2301', ratio: ratioJson(p.maf[0].ratio), cap: yuan(p.maf[0].cap) },
        { psn_idet_type: '2302', ratio: ratioJson(p.maf[1].ratio), cap: yuan(p.maf[1].cap) },
      ],
    }),
  });
  insutype['310']!.inpatient = json(p310, true);
  insutype['390']!.inpatient = json(p390, false);
  return new WorldIndex(parseWorld(files));
}

const CODES = ['XC08CAN010A001', '331000000010000', '110200001000000', '110900001000000', 'C0310010010001', 'XJ01DHM010B001', 'XL01EAI010A001', '002503010010000', 'NOTLISTED0001'];
const lineArb = fc.record({
  code: fc.constantFrom(...CODES),
  pricFen: fc.integer({ min: 1, max: 800_000 }),
  cnt: fc.integer({ min: 1, max: 30 }),
  refund: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
});
const stayArb = fc.record({
  p310: inpatientArb,
  p390: inpatientArb,
  psn: fc.constantFrom('44030000000000000020', '44030000000000000021', '44030000000000000022', '44030000000000000023'),
  inst: fc.constantFrom('H44030000001', 'H44030000002', 'H44030000003'),
  counters: fc.record({ ipt_cnt: fc.integer({ min: 0, max: 3 }), used: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }) }),
  balc: fc.integer({ min: 0, max: 2_000_000 }),
  batches: fc.array(fc.array(lineArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
  acctUsed: fc.boolean(),
});

/** Σ of each band's share of c0..c1, times its ratio, each rounded: what the bands allow. */
function bandAllowance(world: WorldIndex, insutype: string, c0: number, burden: number): number {
  const m = world.inpatientPolicy(insutype)!.major_illness!;
  let lower = m.threshold;
  let allowed = 0;
  for (const b of m.bands) {
    const upper = b.upto ?? Number.MAX_SAFE_INTEGER;
    allowed += mulDivHalfUp(Math.max(0, Math.min(c0 + burden, upper) - Math.max(c0, lower)), b.ratio, 10_000);
    lower = upper;
  }
  return allowed;
}

function checkSettlement(world: WorldIndex, insutype: string, s: InpatientSplit, before: YearCounters, admission: AdmissionInForce | null) {
  const P = world.inpatientPolicy(insutype)!;
  // the invariant of settlement.md section 4, and the funds adding up to fund_pay_sumamt
  expect(s.medfee_sumamt).toBe(s.fund_pay_sumamt + s.acct_pay + s.psn_cash_pay);
  expect(s.fund_pay_sumamt).toBe(s.funds.reduce((t, f) => t + f.amount, 0));
  expect(s.fund_pay_sumamt).toBe(s.hifp_pay + s.hifob_pay + s.hifmi_pay + s.cvlserv_pay + s.maf_pay);
  expect(s.acct_pay).toBe(s.debits.reduce((t, d) => t + d.amount, 0));
  if (s.inscp_scp_amt >= 0) expect(s.psn_part_amt).toBeGreaterThanOrEqual(s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt);
  for (const f of s.funds) {
    expect(f.amount).toBeGreaterThanOrEqual(0);
    if (f.capLeftAfter !== null) expect(f.capLeftAfter).toBeGreaterThanOrEqual(0);
  }
  // no fund pays more than its band allows
  const inscp = Math.max(0, s.inscp_scp_amt);
  expect(s.act_pay_dedc + (admission?.dedcPaid ?? 0)).toBeLessThanOrEqual(Math.max(s.dedc_standard, admission?.dedcPaid ?? 0));
  expect(s.hifp_pay).toBeLessThanOrEqual(applyRatio(inscp - s.act_pay_dedc, s.pool_prop_selfpay));
  const b2 = inscp - s.hifp_pay;
  const major = s.hifob_pay + s.hifmi_pay;
  if (P.major_illness) expect(major).toBeLessThanOrEqual(bandAllowance(world, insutype, before.major_base, b2));
  else expect(major).toBe(0);
  expect(s.cvlserv_pay).toBeLessThanOrEqual(b2 - major);
  expect(s.maf_pay).toBeLessThanOrEqual(b2 - major - s.cvlserv_pay);
  const rule = P.maf?.find((r) => r.psn_idet_type === s.deltas.maf_psn_idet_type);
  if (rule) expect(s.maf_pay).toBeLessThanOrEqual(applyRatio(b2 - major - s.cvlserv_pay, rule.ratio));
  // every counter within its bound after the settlement
  const after = addCounters(before, s.deltas.counters);
  const bounds = counterBounds(world, s.deltas).counters;
  for (const name of ['ipt_fund_used', 'major_fund_used', 'cvlserv_used', 'maf_used'] as const) {
    const bound = bounds[name];
    if (bound !== undefined && before[name] <= bound) expect(after[name]).toBeLessThanOrEqual(bound);
  }
  expect(s.balc).toBeGreaterThanOrEqual(0);
  expect(s.psn_cash_pay).toBe(s.psn_part_amt - s.acct_pay);
}

describe('random stays under random inpatient policies', () => {
  it('keep total = funds + account + cash, every fund within its band and cap, and undo restores every counter', () => {
    fc.assert(
      fc.property(stayArb, (a) => {
        const world = worldWith(a.p310, a.p390);
        const patient = world.persons.get(a.psn)!;
        const insutype = patient.insuinfo[0]!.insutype;
        const P = world.inpatientPolicy(insutype)!;
        const bounds = [P.cap, P.major_illness?.cap ?? 50_000_000, P.cvlserv?.cap ?? 10_000_000, P.maf?.[0]?.cap ?? 0, P.maf?.[1]?.cap ?? 0];
        const opening: YearCounters = {
          ...openingCounters(patient, insutype).counters,
          ipt_cnt: a.counters.ipt_cnt,
          ipt_fund_used: Math.floor(a.counters.used[0]! * bounds[0]!),
          major_base: Math.floor(a.counters.used[1]! * 30_000_000),
          major_fund_used: Math.floor(a.counters.used[1]! * bounds[1]!),
          cvlserv_used: Math.floor(a.counters.used[2]! * bounds[2]!),
          maf_used: Math.floor(a.counters.used[3]! * Math.min(bounds[3]!, bounds[4]!)),
        };
        let counters = opening;
        let balc = patient.insuinfo[0]!.insutype === '310' ? a.balc : 0;
        const openingBalc = balc;
        let stored: StoredFeeLine[] = [];
        const inForce: InpatientSplit[] = [];
        let sn = 0;
        a.batches.forEach((batch, k) => {
          const uploads: UploadLine[] = [];
          for (const l of batch) {
            const id = `L${++sn}`;
            uploads.push({ mdtrt_id: 'M', feedetl_sn: id, med_list_codg: l.code, pricE4: l.pricFen * 100, cntE4: l.cnt * 10_000, amount: l.pricFen * l.cnt });
            if (l.refund !== undefined) {
              const back = Math.min(l.refund, l.cnt);
              uploads.push({ mdtrt_id: 'M', feedetl_sn: `R${sn}`, init_feedetl_sn: id, med_list_codg: l.code, pricE4: l.pricFen * 100, cntE4: -back * 10_000, amount: -l.pricFen * back });
            }
          }
          const fresh = uploadAll(world, uploads, stored);
          stored = [...stored, ...fresh];
          const admission: AdmissionInForce | null = inForce.length === 0 ? null : { dedcStandard: inForce[0]!.dedc_standard, dedcPaid: inForce.reduce((t, s) => t + s.act_pay_dedc, 0) };
          const req = {
            institution: world.institutions.get(a.inst)!,
            patient,
            insutype,
            lines: fresh.map((l) => l.split),
            medfee_sumamt: fresh.reduce((t, l) => t + l.split.amount, 0),
            acctUsed: a.acctUsed,
            payer: { kind: 'own' as const },
            date: DATE,
          };
          const state = { balances: new Map([[a.psn, balc]]), counters, admission };
          const s = computeInpatientSplit(world, req, state);
          // the trial (2303) computes exactly what the settlement (2304) does
          expect(computeInpatientSplit(world, req, state)).toEqual(s);
          checkSettlement(world, insutype, s, counters, admission);
          expect(s.deltas.counters.ipt_cnt).toBe(k === 0 ? 1 : 0);
          counters = addCounters(counters, s.deltas.counters);
          balc = s.balc;
          stored = stored.map((l) => ({ ...l, settled: true }));
          inForce.push(s);
        });
        // a mid-stay settlement takes the deductible first: the stay never pays more than its standard
        expect(inForce.reduce((t, s) => t + s.act_pay_dedc, 0)).toBeLessThanOrEqual(inForce[0]!.dedc_standard);
        expect(new Set(inForce.map((s) => s.dedc_standard)).size).toBe(1);
        // undo in reverse order: the negated deltas take every counter back to the opening figures
        for (const s of [...inForce].reverse()) {
          counters = addCounters(counters, negateDeltas(s.deltas).counters);
          balc += s.debits.filter((d) => d.psn_no === a.psn).reduce((t, d) => t + d.amount, 0);
          for (const name of YEAR_COUNTERS) expect(counters[name]).toBeGreaterThanOrEqual(0);
        }
        expect(counters).toEqual(opening);
        expect(balc).toBe(openingBalc);
      }),
      { numRuns: 150 },
    );
  });
});
