/**
 * The year counters of inpatient.md section 6, per person, insutype and year, and the deltas a
 * settlement moves them by. A cancellation or reversal moves them by the negated deltas of its
 * original, in the original's year; re-applying an original (2601 of a 2305) must fit every bound.
 */
import type { Fen } from './money.ts';
import type { Split } from './settle.ts';
import { Refusal, yuanText } from './settle.ts';
import type { Person, WorldIndex } from './world.ts';

/** The counters of one (person, insutype, year), in the order 5206 lists them. */
export const YEAR_COUNTERS = ['dedc_used', 'fund_used', 'ipt_cnt', 'ipt_fund_used', 'major_base', 'major_fund_used', 'cvlserv_used', 'maf_used'] as const;
export type CounterName = (typeof YEAR_COUNTERS)[number];
/** Amounts in fen; `ipt_cnt` a whole number of admissions. */
export type YearCounters = Record<CounterName, number>;

/** A chronic disease's counters (`chr_dedc_used`, `chr_fund_used` in 5206). */
export interface ChronicCounters {
  dedc_used: Fen;
  fund_used: Fen;
}

export interface CounterDeltas {
  insutype: string;
  /** The year whose counters move: the settlement date's (a reversal uses its original's). */
  year: number;
  counters: YearCounters;
  /** The chronic disease whose counters move (med_type 14 under a `chronic` policy), else null. */
  chronic: ({ opsp_dise_code: string } & ChronicCounters) | null;
  /** The medical-assistance rule that paid (its cap bounds `maf_used`), else null. */
  maf_psn_idet_type: string | null;
}

export function zeroCounters(): YearCounters {
  return { dedc_used: 0, fund_used: 0, ipt_cnt: 0, ipt_fund_used: 0, major_base: 0, major_fund_used: 0, cvlserv_used: 0, maf_used: 0 };
}

/** What the world's `ytd` says was used of an insutype in the year of the clock at load. */
export function openingCounters(person: Person, insutype: string): { counters: YearCounters; chronic: Map<string, ChronicCounters> } {
  const used = person.ytd?.[insutype];
  const counters = zeroCounters();
  const chronic = new Map<string, ChronicCounters>();
  if (!used) return { counters, chronic };
  for (const name of YEAR_COUNTERS) counters[name] = used[name] ?? 0;
  for (const [code, c] of Object.entries(used.chronic ?? {})) chronic.set(code, { dedc_used: c.dedc_used ?? 0, fund_used: c.fund_used ?? 0 });
  return { counters, chronic };
}

const neg = (n: number) => (n === 0 ? 0 : -n); // never -0: it would show in JSON comparisons

/** The deltas that take off exactly what `d` added. */
export function negateDeltas(d: CounterDeltas): CounterDeltas {
  const counters = zeroCounters();
  for (const name of YEAR_COUNTERS) counters[name] = neg(d.counters[name]);
  return {
    insutype: d.insutype,
    year: d.year,
    counters,
    chronic: d.chronic && { opsp_dise_code: d.chronic.opsp_dise_code, dedc_used: neg(d.chronic.dedc_used), fund_used: neg(d.chronic.fund_used) },
    maf_psn_idet_type: d.maf_psn_idet_type,
  };
}

export function addCounters(c: Readonly<YearCounters>, d: Readonly<YearCounters>): YearCounters {
  const out = zeroCounters();
  for (const name of YEAR_COUNTERS) out[name] = c[name] + d[name];
  return out;
}

/** An outpatient (11, or 14 without `chronic`) or pharmacy settlement moves the outpatient counters only. */
export function outpatientDeltas(split: Pick<Split, 'act_pay_dedc' | 'hifp_pay'>, insutype: string, year: number): CounterDeltas {
  const counters = zeroCounters();
  counters.dedc_used = split.act_pay_dedc;
  counters.fund_used = split.hifp_pay;
  return { insutype, year, counters, chronic: null, maf_psn_idet_type: null };
}

/** The upper bound of each counter that has one under the world's policy, for these deltas' insutype. */
export function counterBounds(world: WorldIndex, d: Pick<CounterDeltas, 'insutype' | 'chronic' | 'maf_psn_idet_type'>) {
  const rules = world.policy.insutype[d.insutype];
  const ipt = rules?.inpatient;
  const bounds: Partial<Record<CounterName, Fen>> = {};
  if (rules) {
    bounds.dedc_used = rules.deductible;
    bounds.fund_used = rules.cap;
  }
  if (ipt) {
    bounds.ipt_fund_used = ipt.cap;
    if (ipt.major_illness && ipt.major_illness.cap !== null) bounds.major_fund_used = ipt.major_illness.cap;
    if (ipt.cvlserv) bounds.cvlserv_used = ipt.cvlserv.cap;
    const maf = ipt.maf?.find((r) => r.psn_idet_type === d.maf_psn_idet_type);
    if (maf) bounds.maf_used = maf.cap;
  }
  const disease = d.chronic ? rules?.chronic?.[d.chronic.opsp_dise_code] : undefined;
  return { counters: bounds, chronic: disease ? { dedc_used: disease.deductible, fund_used: disease.cap } : undefined };
}

/**
 * Refuses `reversal_breaks_bound` when adding `d` to the current counters would take one that `d`
 * raises above its bound (putting a cancelled settlement back in force: 2601 of a 2305).
 */
export function checkDeltasFit(world: WorldIndex, d: CounterDeltas, current: Readonly<YearCounters>, currentChronic?: ChronicCounters): void {
  const bounds = counterBounds(world, d);
  for (const name of YEAR_COUNTERS) {
    const bound = bounds.counters[name];
    if (d.counters[name] > 0 && bound !== undefined && current[name] + d.counters[name] > bound) {
      throw new Refusal('reversal_breaks_bound', `putting the settlement back would take ${name} of ${d.year} to ${yuanText(current[name] + d.counters[name])}, above its bound ${yuanText(bound)}`);
    }
  }
  if (d.chronic && bounds.chronic) {
    const now = currentChronic ?? { dedc_used: 0, fund_used: 0 };
    for (const name of ['dedc_used', 'fund_used'] as const) {
      if (d.chronic[name] > 0 && now[name] + d.chronic[name] > bounds.chronic[name]) {
        throw new Refusal('reversal_breaks_bound', `putting the settlement back would take chr_${name} of ${d.chronic.opsp_dise_code} above its bound ${yuanText(bounds.chronic[name])}`);
      }
    }
  }
}
