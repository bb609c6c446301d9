/**
 * The money of an inpatient settlement (inpatient.md section 5) as a pure function in integer fen:
 * (world, the person's counters and the admission's settlements in force, the stored line splits)
 * -> every fund in order, account, mutual aid, cash, and the counter deltas of section 6.
 * 2303 and 2304 both call it, so a trial computes exactly what the settlement would.
 */
import { counterBounds, zeroCounters, type CounterDeltas, type CounterName, type YearCounters } from './counters.ts';
import {
  bandedPay,
  CVLSERV_FUND,
  cvlservRatio,
  fundName,
  MAF_FUND,
  mafRuleFor,
  majorFundField,
  majorFundType,
  poolFundType,
  type FundPayment,
} from './funds.ts';
import { applyRatio, type Fen } from './money.ts';
import { activeInsurance, payFromAccounts, ratioOf, Refusal, sumLines, type LineSplit, type Payer, type Split } from './settle.ts';
import type { Institution, Person, WorldIndex } from './world.ts';

/** The inpatient med_types (21 ordinary, 22 trauma, 28 day surgery), priced alike. */
export const INPATIENT_MED_TYPES: readonly string[] = ['21', '22', '28'];

/** 23xx, 24xx and 2503 are for hospitals only. */
export function checkHospital(institution: Institution): void {
  if (institution.fixmedins_type !== 'hospital') {
    throw new Refusal('wrong_institution_type', `${institution.fixmedins_code} is a pharmacy: inpatient and chronic-disease transactions are for hospitals`);
  }
}

/** 2401 and 2403: an inpatient med_type, at a hospital. */
export function checkInpatientMedType(institution: Institution, medType: string): void {
  checkHospital(institution);
  if (!INPATIENT_MED_TYPES.includes(medType)) {
    throw new Refusal('med_type_not_allowed', `med_type ${medType} is not an inpatient one (allowed: ${INPATIENT_MED_TYPES.join(', ')})`);
  }
}

/** The insutype's inpatient policy; without one nobody of that insutype can be admitted (policy_missing). */
export function requireInpatientPolicy(world: WorldIndex, insutype: string) {
  const policy = world.inpatientPolicy(insutype);
  if (!policy) throw new Refusal('policy_missing', `the policy has no inpatient rules for insutype ${insutype}`);
  return policy;
}

/** The admission's settlements in force, as far as the deductible is concerned. */
export interface AdmissionInForce {
  /** The deductible standard fixed by the first of them (each settlement records its `dedc_standard`). */
  dedcStandard: Fen;
  /** Σ act_pay_dedc of them. */
  dedcPaid: Fen;
}

export interface InpatientSettleRequest {
  institution: Institution;
  patient: Person;
  insutype: string;
  /** The visit's live unsettled lines, with their stored splits (refund lines negative). */
  lines: readonly LineSplit[];
  medfee_sumamt: Fen;
  acctUsed: boolean;
  payer: Payer;
  /** The settlement date, yyyy-MM-dd: its year picks the counters, and identities are judged on it. */
  date: string;
}

export interface InpatientState {
  /** Personal-account balances of the patient and of every possible donor. */
  balances: ReadonlyMap<string, Fen>;
  /** The patient's counters of (insutype, year of the settlement date). */
  counters: Readonly<YearCounters>;
  /** null when the admission has no settlement in force. */
  admission: AdmissionInForce | null;
}

export interface InpatientSplit extends Split {
  hifob_pay: Fen;
  hifmi_pay: Fen;
  cvlserv_pay: Fen;
  maf_pay: Fen;
  /** The admission's deductible standard this settlement used; the first in force fixes it for the rest. */
  dedc_standard: Fen;
  /** Every fund that applies, in step order, zero amounts included; setldetail shows those that paid. */
  funds: FundPayment[];
  deltas: CounterDeltas;
}

/** Section 5, steps 1 to 7. */
export function computeInpatientSplit(world: WorldIndex, req: InpatientSettleRequest, state: InpatientState): InpatientSplit {
  const { institution, patient, insutype } = req;
  checkHospital(institution);
  const ins = activeInsurance(patient, insutype);
  const P = requireInpatientPolicy(world, insutype);
  const hospLv = institution.hosp_lv!; // a hospital always has one (world.ts)
  const sums = sumLines(req.lines, req.medfee_sumamt);
  const c = state.counters;
  // Refund lines count with their signs; a sum of negated splits can leave a fen below zero in scope.
  const inscp = Math.max(0, sums.inscp_scp_amt);

  // 1-2: the admission's deductible, the first settlement in force taking it first
  const standard = state.admission?.dedcStandard ?? (c.ipt_cnt === 0 ? P.deductible[hospLv] : applyRatio(P.deductible[hospLv], P.repeat_dedc_ratio));
  const dedc = Math.min(inscp, Math.max(0, standard - (state.admission?.dedcPaid ?? 0)));

  // 3: the pool, under its own inpatient cap
  const ratio = ratioOf(P.ratio, ins.psn_type, hospLv, `the inpatient policy has no ratio for insutype ${insutype}`);
  const poolLeft = Math.max(0, P.cap - c.ipt_fund_used);
  const hifp = Math.min(applyRatio(inscp - dedc, ratio), poolLeft);
  const funds: FundPayment[] = [fund(poolFundType(insutype), 'hifp_pay', hifp, poolLeft)];

  // 4: the large-amount / serious-illness fund, over the year's in-scope self-burden
  const b2 = inscp - hifp;
  let major = 0;
  if (P.major_illness) {
    const m = P.major_illness;
    const left = m.cap === null ? null : Math.max(0, m.cap - c.major_fund_used);
    const pay = bandedPay(m, c.major_base, b2);
    major = left === null ? pay : Math.min(pay, left);
    funds.push(fund(majorFundType(insutype, m), majorFundField(insutype), major, left));
  }

  // 5: the civil-servant subsidy (employees flagged cvlserv_flag "1")
  const b3 = b2 - major;
  let cvlserv = 0;
  if (insutype === '310' && ins.cvlserv_flag === '1' && P.cvlserv) {
    const left = Math.max(0, P.cvlserv.cap - c.cvlserv_used);
    cvlserv = Math.min(applyRatio(b3, cvlservRatio(P.cvlserv, ins.psn_type)), left);
    funds.push(fund(CVLSERV_FUND, 'cvlserv_pay', cvlserv, left));
  }

  // 6: medical assistance, by the first rule whose identity the person holds on the date
  const b4 = b3 - cvlserv;
  const rule = mafRuleFor(P.maf, patient, req.date);
  let maf = 0;
  if (rule) {
    const left = Math.max(0, rule.cap - c.maf_used);
    maf = Math.min(applyRatio(b4, rule.ratio), left);
    funds.push(fund(MAF_FUND, 'maf_pay', maf, left));
  }

  // 7: the person's part, then account, mutual aid and cash as outpatient
  const fundSum = hifp + major + cvlserv + maf;
  const psnPart = sums.medfee_sumamt - fundSum;
  const paid = payFromAccounts(world, req, psnPart, sums, state.balances);

  const counters = zeroCounters();
  counters.ipt_cnt = state.admission === null ? 1 : 0;
  counters.ipt_fund_used = hifp;
  counters.major_base = b2;
  counters.major_fund_used = major;
  counters.cvlserv_used = cvlserv;
  counters.maf_used = maf;

  return {
    medfee_sumamt: sums.medfee_sumamt,
    fulamt_ownpay_amt: sums.fulamt_ownpay_amt,
    overlmt_selfpay: sums.overlmt_selfpay,
    preselfpay_amt: sums.preselfpay_amt,
    inscp_scp_amt: sums.inscp_scp_amt,
    act_pay_dedc: dedc,
    hifp_pay: hifp,
    hifob_pay: insutype === '310' ? major : 0,
    hifmi_pay: insutype === '310' ? 0 : major,
    cvlserv_pay: cvlserv,
    maf_pay: maf,
    pool_prop_selfpay: ratio,
    fund_pay_sumamt: fundSum,
    psn_part_amt: psnPart,
    acct_pay: paid.acct_pay,
    acct_mulaid_pay: paid.acct_mulaid_pay,
    psn_cash_pay: paid.psn_cash_pay,
    balc: paid.balc,
    crt_payb_lmt_amt: poolLeft - hifp,
    pooled: true,
    debits: paid.debits,
    dedc_standard: standard,
    funds,
    deltas: { insutype, year: Number(req.date.slice(0, 4)), counters, chronic: null, maf_psn_idet_type: rule?.psn_idet_type ?? null },
  };
}

function fund(type: string, field: FundPayment['field'], amount: Fen, left: Fen | null): FundPayment {
  return { fund_pay_type: type, fund_pay_type_name: fundName(type, field), field, amount, capLeftAfter: left === null ? null : left - amount };
}

/** setldetail: the funds that paid (> 0), in step order. */
export function paidFunds(funds: readonly FundPayment[]): FundPayment[] {
  return funds.filter((f) => f.amount > 0);
}

const FUND_COUNTER: Readonly<Record<FundPayment['field'], CounterName>> = {
  hifp_pay: 'ipt_fund_used',
  hifob_pay: 'major_fund_used',
  hifmi_pay: 'major_fund_used',
  cvlserv_pay: 'cvlserv_used',
  maf_pay: 'maf_used',
};

/**
 * 2305's setldetail: the original's funds with amounts negated, each fund's cap left after the
 * cancellation (its bound less the counter once the cancellation is applied; null without a cap).
 */
export function cancelledFunds(world: WorldIndex, original: Pick<InpatientSplit, 'funds' | 'deltas'>, countersAfter: Readonly<YearCounters>): FundPayment[] {
  const bounds = counterBounds(world, original.deltas).counters;
  return original.funds.map((f) => {
    const bound = bounds[FUND_COUNTER[f.field]];
    return { ...f, amount: f.amount === 0 ? 0 : -f.amount, capLeftAfter: bound === undefined ? null : Math.max(0, bound - countersAfter[FUND_COUNTER[f.field]]) };
  });
}
