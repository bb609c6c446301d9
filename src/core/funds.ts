/**
 * The funds of a settlement, their codes and names (inpatient.md section 1), and the arithmetic of
 * the further funds of section 5 steps 4 to 6: the banded large-amount / serious-illness fund, the
 * civil-servant subsidy and medical assistance. Pure, integer fen.
 */
import { applyRatio, type Fen, type Ratio4 } from './money.ts';
import { Refusal } from './settle.ts';
import type { InpatientPolicy, MafRule, MajorIllnessPolicy, Person } from './world.ts';

/** The setlinfo field each fund's amount is answered in. */
export type FundField = 'hifp_pay' | 'hifob_pay' | 'hifmi_pay' | 'cvlserv_pay' | 'maf_pay';

/** One fund of a settlement, in step order: one setldetail row when it paid. */
export interface FundPayment {
  fund_pay_type: string;
  fund_pay_type_name: string;
  field: FundField;
  amount: Fen;
  /** What the fund may still pay this year after this settlement (`crt_payb_lmt_amt`); null without a cap. */
  capLeftAfter: Fen | null;
}

export const CVLSERV_FUND = '320100';
export const MAF_FUND = '610100';
/** The employee personal account: a 2001 row only, never a setldetail one. */
export const ACCOUNT_FUND = '310200';

const FUND_NAMES: Readonly<Record<string, string>> = {
  '310100': '职工基本医疗保险统筹基金',
  '390100': '城乡居民基本医疗保险基金',
  '310200': '职工基本医疗保险个人账户',
  '330100': '职工大额医疗费用补助',
  '390200': '城乡居民大病保险',
  '391100': '城乡居民大病保险',
  '320100': '公务员医疗补助',
  '610100': '医疗救助基金',
};

export function poolFundType(insutype: string): string {
  return `${insutype}100`;
}

/** The large-amount (310) or serious-illness fund's code: the policy's, else 330100 for 310 and 390200 otherwise. */
export function majorFundType(insutype: string, major: MajorIllnessPolicy): string {
  return major.fund_pay_type ?? (insutype === '310' ? '330100' : '390200');
}

export function majorFundField(insutype: string): FundField {
  return insutype === '310' ? 'hifob_pay' : 'hifmi_pay';
}

/** A fund's name for setldetail; a regional code the table lacks is named by what it does. */
export function fundName(fundPayType: string, field?: FundField): string {
  const known = FUND_NAMES[fundPayType];
  if (known) return known;
  if (field === 'hifob_pay') return '职工大额医疗费用补助';
  if (field === 'hifmi_pay') return '城乡居民大病保险';
  return `fund ${fundPayType}`;
}

/**
 * Step 4 before the cap: the in-scope self-burden `burden` stacked on the year's `base` (c0 to c1),
 * each band's part times its ratio, each band rounded on its own.
 */
export function bandedPay(major: MajorIllnessPolicy, base: Fen, burden: Fen): Fen {
  const c0 = base;
  const c1 = base + Math.max(0, burden);
  let lower = major.threshold;
  let pay = 0;
  for (const band of major.bands) {
    const upper = band.upto ?? Number.POSITIVE_INFINITY;
    const part = Math.max(0, Math.min(c1, upper) - Math.max(c0, lower));
    pay += applyRatio(part, band.ratio);
    if (band.upto === null) break;
    lower = band.upto;
  }
  return pay;
}

/** The civil-servant subsidy's ratio for a psn_type (else "default"); a missing one is refused ratio_missing. */
export function cvlservRatio(cvlserv: NonNullable<InpatientPolicy['cvlserv']>, psnType: string): Ratio4 {
  const r = cvlserv.ratio[psnType] ?? cvlserv.ratio.default;
  if (r === undefined) throw new Refusal('ratio_missing', `the civil-servant subsidy has no ratio for psn_type ${psnType}`);
  return r;
}

/** Is an identity active on a date (first 10 characters of begntime <= date <= those of endtime; none: open)? */
export function identityActive(idet: { begntime: string; endtime?: string | null }, date: string): boolean {
  return idet.begntime.slice(0, 10) <= date && (idet.endtime == null || date <= idet.endtime.slice(0, 10));
}

/** Step 6: the first medical-assistance rule whose identity the person holds, active on the date. */
export function mafRuleFor(rules: readonly MafRule[] | undefined, person: Person, date: string): MafRule | undefined {
  return rules?.find((r) => person.idetinfo.some((d) => d.psn_idet_type === r.psn_idet_type && identityActive(d, date)));
}
