/**
 * Outpatient chronic and special diseases, med_type 14 (inpatient.md section 7), pure: filings in
 * force, 2503/2504's checks, and the split under a disease's own deductible, ratio and cap.
 */
import type { ChronicCounters, CounterDeltas } from './counters.ts';
import { zeroCounters } from './counters.ts';
import { fundName, poolFundType, type FundPayment } from './funds.ts';
import type { Fen } from './money.ts';
import { activeInsurance, computeSplit, Refusal, type SettleRequest, type Split } from './settle.ts';
import { periodsOverlap } from './world-inpatient.ts';
import type { ChronicRule, Person, WorldIndex } from './world.ts';

export const CHRONIC_MED_TYPE = '14';

/** A filing, the world's or one 2503 made. */
export interface FilingFacts {
  trt_dcla_detl_sn: string;
  psn_no: string;
  insutype: string;
  opsp_dise_code: string;
  opsp_dise_name: string | null;
  begndate: string;
  enddate: string | null;
  cancelled: boolean;
}

/** The world's filings of a person, as FilingFacts (never cancelled at load). */
export function worldFilings(world: WorldIndex, person: Person): FilingFacts[] {
  return (person.chronic ?? []).map((f) => ({
    trt_dcla_detl_sn: f.trt_dcla_detl_sn,
    psn_no: person.baseinfo.psn_no,
    insutype: f.insutype,
    opsp_dise_code: f.opsp_dise_code,
    opsp_dise_name: f.opsp_dise_name ?? world.chronicPolicy(f.insutype)?.[f.opsp_dise_code]?.opsp_dise_name ?? null,
    begndate: f.begndate,
    enddate: f.enddate ?? null,
    cancelled: false,
  }));
}

/** In force on a date: not cancelled, begndate <= date <= enddate (none: open). */
export function filingInForce(f: Pick<FilingFacts, 'begndate' | 'enddate' | 'cancelled'>, date: string): boolean {
  return !f.cancelled && f.begndate <= date && (f.enddate === null || date <= f.enddate);
}

/** Does med_type 14 follow section 7 (the policy has `chronic` for the insutype), or settlement.md as 11? */
export function usesChronicPolicy(world: WorldIndex, insutype: string, medType: string): boolean {
  return medType === CHRONIC_MED_TYPE && world.chronicPolicy(insutype) !== undefined;
}

/**
 * 2203 with 14 (on the date of the call) and 2206/2207 (on the settlement date, for the visit's
 * dise_codg): a filing in force for the person, insutype and disease, else chronic_not_filed.
 */
export function checkChronicFiled(filings: Iterable<FilingFacts>, insutype: string, diseCodg: string | null | undefined, date: string): void {
  for (const f of filings) {
    if (f.insutype === insutype && f.opsp_dise_code === diseCodg && filingInForce(f, date)) return;
  }
  throw new Refusal('chronic_not_filed', diseCodg ? `the person has no chronic-disease filing in force on ${date} for ${diseCodg} under insutype ${insutype}` : 'med_type 14 needs the filed disease as dise_codg');
}

/** The disease's rule; a disease the policy does not list cannot have been filed. */
export function chronicRule(world: WorldIndex, insutype: string, diseCodg: string): ChronicRule {
  const rule = world.chronicPolicy(insutype)?.[diseCodg];
  if (!rule) throw new Refusal('chronic_not_filed', `the policy has no chronic disease ${diseCodg} for insutype ${insutype}`);
  return rule;
}

export interface ChronicSplit extends Split {
  funds: FundPayment[];
  deltas: CounterDeltas;
}

/**
 * Section 7's money: the disease's deductible, ratio and cap against its own counters, no other fund;
 * account and cash as outpatient. Only the disease's counters move.
 */
export function computeChronicSplit(
  world: WorldIndex,
  req: SettleRequest & { dise_codg: string; date: string },
  state: { balances: ReadonlyMap<string, Fen>; chronic: ChronicCounters },
): ChronicSplit {
  const rule = chronicRule(world, req.insutype, req.dise_codg);
  const split = computeSplit(
    world,
    req,
    { balances: state.balances, dedcUsed: state.chronic.dedc_used, fundUsed: state.chronic.fund_used },
    { deductible: rule.deductible, cap: rule.cap, ratio: rule.ratio, what: `the chronic policy of ${req.dise_codg} has no ratio for insutype ${req.insutype}` },
  );
  const type = poolFundType(req.insutype);
  const counters = zeroCounters();
  return {
    ...split,
    funds: [{ fund_pay_type: type, fund_pay_type_name: fundName(type, 'hifp_pay'), field: 'hifp_pay', amount: split.hifp_pay, capLeftAfter: split.crt_payb_lmt_amt }],
    deltas: {
      insutype: req.insutype,
      year: Number(req.date.slice(0, 4)),
      counters,
      chronic: { opsp_dise_code: req.dise_codg, dedc_used: split.act_pay_dedc, fund_used: split.hifp_pay },
      maf_psn_idet_type: null,
    },
  };
}

export interface NewFiling {
  insutype: string;
  opsp_dise_code: string;
  begndate: string;
  enddate: string | null;
}

/** 2503's checks, in the spec's order, against the person's filings (the world's and 2503's). */
export function checkNewFiling(world: WorldIndex, person: Person, f: NewFiling, existing: Iterable<FilingFacts>): ChronicRule {
  if (f.enddate !== null && f.enddate < f.begndate) throw new Refusal('malformed_input', 'enddate is before begndate');
  activeInsurance(person, f.insutype);
  const policy = world.chronicPolicy(f.insutype);
  if (!policy) throw new Refusal('policy_missing', `the policy has no chronic diseases for insutype ${f.insutype}`);
  const rule = policy[f.opsp_dise_code];
  if (!rule) throw new Refusal('chronic_disease_unknown', `${f.opsp_dise_code} is not a chronic disease of the policy for insutype ${f.insutype}`);
  for (const g of existing) {
    if (!g.cancelled && g.psn_no === person.baseinfo.psn_no && g.insutype === f.insutype && g.opsp_dise_code === f.opsp_dise_code && periodsOverlap(g, f)) {
      throw new Refusal('chronic_already_filed', `the person already has filing ${g.trt_dcla_detl_sn} of ${f.opsp_dise_code} for a period that overlaps`);
    }
  }
  return rule;
}

/** 2504: the person's filing, not yet cancelled. */
export function checkFilingCancel(f: FilingFacts | undefined, psnNo: string, sn: string): FilingFacts {
  if (!f || f.psn_no !== psnNo) throw new Refusal('filing_unknown', `person ${psnNo} has no filing ${sn}`);
  if (f.cancelled) throw new Refusal('filing_cancelled', `filing ${sn} is already cancelled`);
  return f;
}
