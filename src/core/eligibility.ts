/**
 * 2001, may this person use each fund for this med_type on a date (inpatient.md section 8), as a pure
 * function: one row per fund in the spec's order, "1" or "0" with the reason.
 */
import { checkChronicFiled, type FilingFacts } from './chronic.ts';
import { ACCOUNT_FUND, CVLSERV_FUND, identityActive, MAF_FUND, majorFundType, poolFundType } from './funds.ts';
import { INPATIENT_MED_TYPES } from './inpatient.ts';
import { Refusal } from './settle.ts';
import type { Person, WorldIndex } from './world.ts';

export interface TrtInfo {
  psn_no: string;
  fund_pay_type: string;
  trt_enjymnt_flag: '0' | '1';
  /** Why not, when the flag is "0"; null when it is "1". */
  trt_chk_rslt: string | null;
}

export function eligibility(
  world: WorldIndex,
  person: Person,
  q: { insutype: string; med_type: string; date: string; dise_codg?: string | null },
  filings: Iterable<FilingFacts>,
): TrtInfo[] {
  const psn_no = person.baseinfo.psn_no;
  const ins = person.insuinfo.find((i) => i.insutype === q.insutype);
  if (!ins) throw new Refusal('insurance_inactive', `person ${psn_no} has no insurance ${q.insutype}`);
  const row = (fund_pay_type: string, why: string | null): TrtInfo => ({ psn_no, fund_pay_type, trt_enjymnt_flag: why === null ? '1' : '0', trt_chk_rslt: why });
  const inpatient = INPATIENT_MED_TYPES.includes(q.med_type);
  const rules = world.policy.insutype[q.insutype];
  const P = rules?.inpatient;

  let poolWhy: string | null = null;
  if (ins.psn_insu_stas !== '1') poolWhy = `insurance ${q.insutype} is not active (psn_insu_stas ${ins.psn_insu_stas})`;
  else if (!rules) poolWhy = `the policy has no rules for insutype ${q.insutype}`;
  else if (inpatient && !P) poolWhy = `the policy has no inpatient rules for insutype ${q.insutype}`;
  else if (q.med_type === '41' && !world.policy.pharmacy_pooling) poolWhy = 'the pooled fund does not pay for pharmacy purchases here';
  else if (q.med_type === '14' && rules.chronic) {
    try {
      checkChronicFiled(filings, q.insutype, q.dise_codg, q.date);
    } catch (e) {
      poolWhy = (e as Error).message;
    }
  }
  const rows = [row(poolFundType(q.insutype), poolWhy)];

  if (inpatient && P) {
    if (P.major_illness) rows.push(row(majorFundType(q.insutype, P.major_illness), poolWhy));
    if (P.cvlserv && q.insutype === '310') rows.push(row(CVLSERV_FUND, poolWhy ?? (ins.cvlserv_flag === '1' ? null : 'the person is not a civil servant (cvlserv_flag 0)')));
    if (P.maf) {
      const held = P.maf.some((r) => person.idetinfo.some((d) => d.psn_idet_type === r.psn_idet_type && identityActive(d, q.date)));
      rows.push(row(MAF_FUND, poolWhy ?? (held ? null : `the person holds no identity of medical assistance active on ${q.date}`)));
    }
  }
  if (q.insutype === '310') rows.push(row(ACCOUNT_FUND, ins.psn_insu_stas === '1' ? null : 'employee insurance (310) is not active: the personal account cannot be used'));
  return rows;
}
