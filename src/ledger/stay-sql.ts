/**
 * The SQL of hospital stays, filings and the further counters that is the same text on SQLite and
 * PostgreSQL (parameters aside, which each engine adds its own way). Casts are CAST(... AS BIGINT):
 * PostgreSQL's sums are numeric otherwise, and SQLite reads the cast as an integer one.
 */
import { IN_FORCE, type VisitLines } from './records.ts';

/** The line is live: not withdrawn (2302). */
export const LIVE = (f: string) => `NOT EXISTS (SELECT 1 FROM fee_line_withdrawals w WHERE w.fee_line_id = ${f}.id)`;

/**
 * The line, of the visit `$visit`, is covered by a settlement in force. Only the visit's own records
 * cover its lines, so the records in force are worked out once per statement (the IN list does not
 * depend on the line), not once per line and record: a stay settled and cancelled k times would
 * otherwise cost k in-force checks for each of its lines.
 */
const SETTLED = (f: string) =>
  `EXISTS (SELECT 1 FROM settlement_lines sl WHERE sl.fee_line_id = ${f}.id AND sl.setl_id IN (SELECT s.setl_id FROM settlements s WHERE s.mdtrt_id = $visit AND ${IN_FORCE('s')}))`;

/** The live refund lines of `f` (none for a refund line itself). */
const REFUNDS = (f: string) => `FROM fee_lines r WHERE ${f}.init_feedetl_sn IS NULL AND r.mdtrt_id = ${f}.mdtrt_id AND r.init_feedetl_sn = ${f}.feedetl_sn AND ${LIVE('r')}`;

/** A StayLineRow's columns, of fee_lines `f`. */
export const STAY_LINE_COLUMNS = `f.id, f.mdtrt_id, f.feedetl_sn, f.chrg_bchno, f.med_list_codg, f.pric_e4, f.cnt_e4, f.amount, f.hosp_appr_flag, f.body,
  f.init_feedetl_sn, f.fulamt_ownpay_amt, f.overlmt_amt, f.preselfpay_amt, f.inscp_scp_amt, f.chrgitm_lv, f.selfpay_prop,
  f.pric_uplmt_amt, f.lmt_used_flag, f.split_date, f.fee_ocur_time,
  CASE WHEN ${LIVE('f')} THEN 1 ELSE 0 END AS live,
  (SELECT s.setl_id FROM settlement_lines sl JOIN settlements s ON s.setl_id = sl.setl_id WHERE sl.fee_line_id = f.id AND ${IN_FORCE('s')} ORDER BY s.seq LIMIT 1) AS setl_id,
  CAST(coalesce((SELECT sum(0 - r.cnt_e4) ${REFUNDS('f')}), 0) AS BIGINT) AS refunded_cnt_e4,
  CAST((SELECT count(*) ${REFUNDS('f')}) AS BIGINT) AS live_refunds`;

/** The live unsettled lines of a visit (settling them, withdrawing them). */
export const UNSETTLED_OF = `FROM fee_lines f WHERE f.mdtrt_id = $visit AND ${LIVE('f')} AND NOT ${SETTLED('f')}`;

/** The visit's lines a settlement covers (`$visit` the visit), as FROM ... WHERE over fee_lines `f`, and the visit. */
export function coveredLines(lines: VisitLines): { from: string; visit: string } {
  return 'unsettledOf' in lines ? { from: UNSETTLED_OF, visit: lines.unsettledOf } : { from: 'FROM fee_lines f WHERE f.mdtrt_id = $visit', visit: lines.allOf };
}

/** Sums over the visit's live unsettled lines, and the count of its live lines (each line's coverage is asked once, not once per sum). */
export const STAY_SUMS = `SELECT CAST((SELECT count(*) FROM fee_lines f WHERE f.mdtrt_id = $visit AND ${LIVE('f')}) AS BIGINT) AS live,
  CAST(count(*) AS BIGINT) AS lines,
  CAST(coalesce(sum(f.amount), 0) AS BIGINT) AS amount,
  CAST(coalesce(sum(coalesce(f.fulamt_ownpay_amt, 0)), 0) AS BIGINT) AS fulamt_ownpay_amt,
  CAST(coalesce(sum(coalesce(f.overlmt_amt, 0)), 0) AS BIGINT) AS overlmt_amt,
  CAST(coalesce(sum(coalesce(f.preselfpay_amt, 0)), 0) AS BIGINT) AS preselfpay_amt,
  CAST(coalesce(sum(coalesce(f.inscp_scp_amt, 0)), 0) AS BIGINT) AS inscp_scp_amt
  ${UNSETTLED_OF}`;

/** The stay columns a VisitPatch may set, in this order. */
export const PATCH_COLUMNS = ['state', 'med_type', 'begntime', 'ipt_no', 'endtime', 'dise_codg', 'dise_name', 'dscg_way', 'body'] as const;

/** A visit's settlements with whether each is in force, oldest first. */
export const VISIT_SETTLEMENTS = `SELECT s.*, CASE WHEN ${IN_FORCE('s')} THEN 1 ELSE 0 END AS in_force FROM settlements s WHERE s.mdtrt_id = $visit AND s.kind = 'settle' ORDER BY s.seq`;

export const FILING_COLUMNS = 'trt_dcla_detl_sn, psn_no, insutype, opsp_dise_code, opsp_dise_name, begndate, enddate, cancelled';
