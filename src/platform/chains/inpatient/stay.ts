/** What the inpatient chain's files share: finding the stay a call names, and a stored line as the core sees it. */
import type { StoredFeeLine } from '../../../core/fee-lines.ts';
import { checkHospital } from '../../../core/inpatient.ts';
import { requireVisit, type VisitState } from '../../../core/visit.ts';
import type { StayLineRow } from '../../../ledger/records.ts';
import type { VisitRow } from '../../../ledger/types.ts';
import type { Ctx } from '../shared.ts';

export type Stay = VisitRow & { state: VisitState };

/**
 * The calling hospital's inpatient visit `mdtrtId` of `psnNo` (and `insutype` when given):
 * wrong_institution_type at a pharmacy, visit_unknown (none, another's, or an outpatient one), visit_mismatch.
 */
export async function requireStay(ctx: Ctx, mdtrtId: string, psnNo: string, insutype?: string): Promise<Stay> {
  checkHospital(ctx.institution);
  const v = await ctx.ledger.visit(mdtrtId);
  const mine = v && v.fixmedins_code === ctx.institution.fixmedins_code ? v : undefined;
  const found = requireVisit(mine && { ...mine, inpatient: mine.inpatient === 1 }, { mdtrt_id: mdtrtId, psn_no: psnNo, insutype, inpatient: true });
  return found as unknown as Stay;
}

/** A stored line as fee-lines.ts judges it. */
export function storedLine(r: StayLineRow): StoredFeeLine {
  return {
    mdtrt_id: r.mdtrt_id,
    feedetl_sn: r.feedetl_sn,
    init_feedetl_sn: r.init_feedetl_sn,
    med_list_codg: r.med_list_codg,
    pricE4: r.pric_e4,
    cntE4: r.cnt_e4,
    hosp_appr_flag: r.hosp_appr_flag,
    split: {
      feedetl_sn: r.feedetl_sn,
      amount: r.amount,
      fulamt_ownpay_amt: r.fulamt_ownpay_amt,
      overlmt_amt: r.overlmt_amt,
      preselfpay_amt: r.preselfpay_amt,
      inscp_scp_amt: r.inscp_scp_amt,
      chrgitm_lv: r.chrgitm_lv as StoredFeeLine['split']['chrgitm_lv'],
      selfpay_prop: r.selfpay_prop,
      pric_uplmt_amt: r.pric_uplmt_amt,
      lmt_used_flag: r.lmt_used_flag as '0' | '1',
    },
    split_date: r.split_date,
    live: r.live === 1,
    settled: r.setl_id !== null,
  };
}
