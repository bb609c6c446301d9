/**
 * Inpatient fee lines and refund lines (inpatient.md section 4), pure: 2301's checks and splits,
 * 2302's withdrawal rules, and which lines a settlement takes. A line's split is made once, at upload,
 * and kept for good; a refund line copies its original's, negated.
 */
import { lineAmount, type Fen } from './money.ts';
import { Refusal, splitLine, yuanText, type FeeLine, type LineSplit } from './settle.ts';
import type { CatalogItem } from './world.ts';

/** 2301 takes 1 to this many lines a call. */
export const MAX_UPLOAD_LINES = 1000;
/** 2302's feedetl_sn for "every live unsettled line". */
export const ALL_LINES = '0000';

export interface UploadLine extends FeeLine {
  mdtrt_id: string;
  /** On a refund line (negative `cnt`): the original's feedetl_sn. Ignored on a positive line. */
  init_feedetl_sn?: string | null | undefined;
}

/** A fee line as the ledger keeps it. */
export interface StoredFeeLine {
  mdtrt_id: string;
  feedetl_sn: string;
  /** The original of a refund line; null on a positive line. */
  init_feedetl_sn: string | null;
  med_list_codg: string;
  /** Price and count scaled by 10 000; `cntE4` is negative on a refund line. */
  pricE4: number;
  cntE4: number;
  hosp_appr_flag: string | null;
  /** The split for good (every amount negative on a refund line); `split.amount` is det_item_fee_sumamt. */
  split: LineSplit;
  /** The date the split was made at: the upload's, or for a refund line its original's. */
  split_date: string;
  /** Until withdrawn by 2302. */
  live: boolean;
  /** While a settlement in force covers it. */
  settled: boolean;
}

/** What 2301 needs to know of the lines already stored (one query each, so long stays stay cheap). */
export interface StoredLines {
  /** The visit's line with that feedetl_sn, withdrawn lines included. */
  line(mdtrt_id: string, feedetl_sn: string): StoredFeeLine | undefined;
  /** Σ |cntE4| of the live refund lines of that original. */
  refundedCntE4(mdtrt_id: string, originalSn: string): number;
}

const neg = (n: Fen) => (n === 0 ? 0 : -n); // never -0

export function negateSplit(s: LineSplit, feedetlSn: string): LineSplit {
  return {
    ...s,
    feedetl_sn: feedetlSn,
    amount: neg(s.amount),
    fulamt_ownpay_amt: neg(s.fulamt_ownpay_amt),
    overlmt_amt: neg(s.overlmt_amt),
    preselfpay_amt: neg(s.preselfpay_amt),
    inscp_scp_amt: neg(s.inscp_scp_amt),
  };
}

/**
 * 2301: the lines to store, in request order, or the Refusal of the first line that breaks a rule
 * (all or nothing). `date` is the date of the call; `item` looks a code up in the catalog.
 */
export function planUpload(lines: readonly UploadLine[], stored: StoredLines, item: (code: string) => CatalogItem | undefined, date: string): StoredFeeLine[] {
  const added = new Map<string, StoredFeeLine>();
  const refundedHere = new Map<string, number>();
  const key = (mdtrtId: string, sn: string) => `${mdtrtId}\u0000${sn}`;
  const out: StoredFeeLine[] = [];
  for (const l of lines) {
    const sn = l.feedetl_sn;
    if (l.pricE4 <= 0 || l.cntE4 === 0) throw new Refusal('line_not_positive', `line ${sn}: the price must be positive and the count not zero`);
    const refund = l.cntE4 < 0;
    const initSn = refund ? (l.init_feedetl_sn ?? '') : '';
    if (refund && initSn === '') throw new Refusal('line_not_positive', `line ${sn}: a negative count is a refund line and needs init_feedetl_sn`);
    const k = key(l.mdtrt_id, sn);
    if (added.has(k) || stored.line(l.mdtrt_id, sn)) throw new Refusal('duplicate_feedetl_sn', `line ${sn}: visit ${l.mdtrt_id} already has a line ${sn}`);

    let row: StoredFeeLine;
    if (!refund) {
      row = {
        mdtrt_id: l.mdtrt_id,
        feedetl_sn: sn,
        init_feedetl_sn: null,
        med_list_codg: l.med_list_codg,
        pricE4: l.pricE4,
        cntE4: l.cntE4,
        hosp_appr_flag: l.hosp_appr_flag ?? null,
        split: splitLine(l, item(l.med_list_codg), date),
        split_date: date,
        live: true,
        settled: false,
      };
    } else {
      const expected = neg(lineAmount(l.pricE4, -l.cntE4));
      if (l.amount !== expected) {
        throw new Refusal('line_amount_mismatch', `line ${sn}: a refund line's det_item_fee_sumamt must be -(price x |count|) = ${yuanText(expected)}, not ${yuanText(l.amount)}`);
      }
      const originalKey = key(l.mdtrt_id, initSn);
      const original = added.get(originalKey) ?? stored.line(l.mdtrt_id, initSn);
      if (!original || !original.live || original.init_feedetl_sn !== null) {
        throw new Refusal('refund_line_unknown', `line ${sn}: visit ${l.mdtrt_id} has no live positive line ${initSn} to refund`);
      }
      if (original.settled) throw new Refusal('refund_line_settled', `line ${sn}: line ${initSn} is settled; cancel its settlement (2305) before refunding it`);
      if (original.med_list_codg !== l.med_list_codg || original.pricE4 !== l.pricE4) {
        throw new Refusal('refund_mismatch', `line ${sn}: a refund line must have its original's med_list_codg and pric`);
      }
      const refunded = (refundedHere.get(originalKey) ?? 0) + (added.has(originalKey) ? 0 : stored.refundedCntE4(l.mdtrt_id, initSn));
      if (-l.cntE4 > original.cntE4 - refunded) {
        throw new Refusal('refund_exceeds', `line ${sn}: refunds of line ${initSn} would exceed its count (${original.cntE4 / 10_000}, ${refunded / 10_000} already refunded)`);
      }
      refundedHere.set(originalKey, (refundedHere.get(originalKey) ?? 0) - l.cntE4);
      const positive = splitLine(
        { feedetl_sn: sn, med_list_codg: l.med_list_codg, pricE4: l.pricE4, cntE4: -l.cntE4, amount: -l.amount, hosp_appr_flag: original.hosp_appr_flag },
        item(l.med_list_codg),
        original.split_date,
      );
      row = {
        mdtrt_id: l.mdtrt_id,
        feedetl_sn: sn,
        init_feedetl_sn: initSn,
        med_list_codg: l.med_list_codg,
        pricE4: l.pricE4,
        cntE4: l.cntE4,
        hosp_appr_flag: original.hosp_appr_flag,
        split: negateSplit(positive, sn),
        split_date: original.split_date,
        live: true,
        settled: false,
      };
    }
    added.set(k, row);
    out.push(row);
  }
  return out;
}

/** 2302 of one line: refused unless it is live, unsettled, and (an original) has no live refunds. */
export function checkWithdraw(line: StoredFeeLine | undefined, feedetlSn: string, liveRefunds: number): StoredFeeLine {
  if (!line || !line.live) throw new Refusal('fee_line_unknown', `the visit has no live fee line ${feedetlSn}`);
  if (line.settled) throw new Refusal('fee_line_settled', `fee line ${feedetlSn} is settled; cancel its settlement (2305) first`);
  if (line.init_feedetl_sn === null && liveRefunds > 0) {
    throw new Refusal('refund_lines_exist', `fee line ${feedetlSn} has ${liveRefunds} live refund line(s): withdraw them first`);
  }
  return line;
}

/** 2302 "0000": every live unsettled line, at least one. */
export function checkWithdrawAll<L extends Pick<StoredFeeLine, 'live' | 'settled'>>(lines: readonly L[]): L[] {
  const open = lines.filter((l) => l.live && !l.settled);
  if (open.length === 0) throw new Refusal('no_fee_lines', 'the visit has no live unsettled fee lines to withdraw');
  return open;
}

/**
 * 2303/2304: a settlement takes every live unsettled line of the visit. None is refused, except for a
 * final settlement of a stay whose mid-stay settlements in force cover every live line: it settles
 * nothing and closes the stay.
 */
export function checkSettlementLines(liveUnsettled: number, mid: boolean, midStayInForce: boolean): void {
  if (liveUnsettled === 0 && (mid || !midStayInForce)) throw new Refusal('no_fee_lines', 'the stay has no live unsettled fee lines to settle');
}
