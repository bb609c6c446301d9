/**
 * What both ledger engines share: the settlement record and its fields, the hash chain over them,
 * and the SQL text that is the same on SQLite and PostgreSQL.
 */
import { hash as digest } from 'node:crypto';
import type { FilingFacts } from '../core/chronic.ts';
import type { Fen, Ratio4 } from '../core/money.ts';
import type { ChainVerdict } from './types.ts';

/** A settlement record is in force unless reversed (2601) or, for a settlement, cancelled by a cancellation in force. */
export const IN_FORCE = (s: string) => `(
  NOT EXISTS (SELECT 1 FROM settlements r WHERE r.kind = 'reversal' AND r.init_setl_id = ${s}.setl_id)
  AND (${s}.kind <> 'settle' OR NOT EXISTS (
    SELECT 1 FROM settlements c WHERE c.kind = 'cancel' AND c.init_setl_id = ${s}.setl_id
    AND NOT EXISTS (SELECT 1 FROM settlements r2 WHERE r2.kind = 'reversal' AND r2.init_setl_id = c.setl_id))))`;

export const AMOUNT_FIELDS = [
  'medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt', 'act_pay_dedc',
  'hifp_pay', 'fund_pay_sumamt', 'psn_part_amt', 'acct_pay', 'acct_mulaid_pay', 'psn_cash_pay',
] as const;
export type Amounts = Record<(typeof AMOUNT_FIELDS)[number], Fen>;

export interface SettlementRecord extends Amounts, Partial<StayFields> {
  seq?: number;
  setl_id: string;
  kind: 'settle' | 'cancel' | 'reversal';
  init_setl_id: string | null;
  mdtrt_id: string;
  psn_no: string;
  insutype: string;
  psn_type: string;
  clr_type: string;
  clr_optins: string;
  fixmedins_code: string;
  med_type: string;
  setl_time: string;
  setl_date: string;
  year: number;
  balc: Fen;
  /** The certificate presented (01 e-certificate, 02 ID card, 03 social-security card). */
  mdtrt_cert_type: string;
  /** The pooled fund's share, in parts per 10 000. */
  pool_prop_selfpay: Ratio4;
  msgid: string;
}

/** The further funds of an inpatient settlement (inpatient.md section 1), 0 on other records; a reversing record negates them. */
export const FUND_FIELDS = ['hifob_pay', 'hifmi_pay', 'cvlserv_pay', 'maf_pay'] as const;

/**
 * The counter deltas a record applied (inpatient.md section 6), to its `year`: a settlement's are
 * its own, a reversing record's its original's negated, so undoing is always `counters += d_*`.
 */
export const DELTA_FIELDS = [
  'd_dedc_used', 'd_fund_used', 'd_ipt_cnt', 'd_ipt_fund_used', 'd_major_base', 'd_major_fund_used', 'd_cvlserv_used', 'd_maf_used',
  'd_chr_dedc_used', 'd_chr_fund_used',
] as const;

/** What a record stores beyond the outpatient fields; optional when appending (the defaults are an outpatient record's). */
export interface StayFields extends Record<(typeof FUND_FIELDS)[number] | (typeof DELTA_FIELDS)[number], Fen> {
  /** "0" final, "1" mid-stay; null on outpatient and pharmacy records. */
  mid_setl_flag: string | null;
  /** The admission's deductible standard the settlement used (0 on other records). */
  dedc_standard: Fen;
  /** The chronic disease whose counters d_chr_* move, else null. */
  chr_dise_code: string | null;
  /** The medical-assistance rule that paid (its cap bounds maf_used), else null. */
  maf_psn_idet_type: string | null;
  /** The visit's `rev` once this record was applied (2601 of a 2305 checks nothing moved since), else null. */
  visit_rev: number | null;
}

/** The fields of a settlement record that its hash covers: all but its position and the chain itself. */
export const RECORD_FIELDS = [
  'setl_id', 'kind', 'init_setl_id', 'mdtrt_id', 'psn_no', 'insutype', 'psn_type', 'clr_type', 'clr_optins', 'fixmedins_code',
  'med_type', 'setl_time', 'setl_date', 'year', ...AMOUNT_FIELDS, 'balc', 'mdtrt_cert_type', 'pool_prop_selfpay', 'msgid',
  'mid_setl_flag', 'dedc_standard', ...FUND_FIELDS, ...DELTA_FIELDS, 'chr_dise_code', 'maf_psn_idet_type', 'visit_rev',
] as const satisfies readonly (keyof SettlementRecord)[];

/**
 * The record as stored: the stay fields an outpatient caller leaves out filled in, its deltas by
 * default what settlement.md has a settlement move (the deductible and the fund by its amounts).
 */
export function completeRecord(rec: SettlementRecord): SettlementRecord & StayFields {
  return withDefaults(rec, {
    mid_setl_flag: null,
    dedc_standard: 0,
    hifob_pay: 0,
    hifmi_pay: 0,
    cvlserv_pay: 0,
    maf_pay: 0,
    d_dedc_used: rec.act_pay_dedc,
    d_fund_used: rec.hifp_pay,
    d_ipt_cnt: 0,
    d_ipt_fund_used: 0,
    d_major_base: 0,
    d_major_fund_used: 0,
    d_cvlserv_used: 0,
    d_maf_used: 0,
    d_chr_dedc_used: 0,
    d_chr_fund_used: 0,
    chr_dise_code: null,
    maf_psn_idet_type: null,
    visit_rev: null,
  });
}

/**
 * `given` with `defaults` where it has no value (undefined or null), as `{ ...given, k: given.k ?? d }`
 * would make it, built without that literal: V8 (Node 20) takes a slow path, tens of microseconds,
 * for an object spread followed by many properties, and this runs on every settlement. It fills
 * `defaults` in and returns it: pass a fresh literal.
 */
function withDefaults<G extends object, D extends object>(given: G, defaults: D): G & D {
  const out = defaults as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) if (v != null || !(k in defaults)) out[k] = v;
  return out as G & D;
}

/** The year-counter columns a record's deltas move, in DELTA_FIELDS order (the chronic ones move chronic_counters). */
export const YEAR_DELTA_COLUMNS = [
  ['d_dedc_used', 'dedc_used'], ['d_fund_used', 'fund_used'], ['d_ipt_cnt', 'ipt_cnt'], ['d_ipt_fund_used', 'ipt_fund_used'],
  ['d_major_base', 'major_base'], ['d_major_fund_used', 'major_fund_used'], ['d_cvlserv_used', 'cvlserv_used'], ['d_maf_used', 'maf_used'],
] as const;

export interface Debit {
  psn_no: string;
  role: 'own' | 'mulaid';
  amount: Fen;
}

export type VisitState = 'ADMITTED' | 'DISCHARGED' | 'SETTLED' | 'CANCELLED';

/** An inpatient visit's own columns (2401-2405); an outpatient visit has `inpatient` 0 and the rest null. */
export interface StayColumns {
  inpatient: 0 | 1;
  state: VisitState | null;
  ipt_no: string | null;
  endtime: string | null;
  dise_codg: string | null;
  dise_name: string | null;
  dscg_way: string | null;
  /** The 2401 input, then each 2403's, kept as sent (JSON). */
  body: string | null;
  /** Bumped by every write that changes the visit: state, fee lines, settlements, 2403. */
  rev: number;
  /** Fee lines ever uploaded, withdrawn ones included (2601 of a 2401). */
  lines_ever: number;
}

/** What a stay write may change; every such write bumps `rev`. */
export type VisitPatch = Partial<Pick<StayColumns, 'state' | 'ipt_no' | 'endtime' | 'dise_codg' | 'dise_name' | 'dscg_way' | 'body'> & { med_type: string | null; begntime: string | null }> & {
  /** Added to `lines_ever`. */
  lines_added?: number;
};

export interface Visit extends Partial<StayColumns> {
  mdtrt_id: string;
  fixmedins_code: string;
  psn_no: string;
  insutype: string;
  med_type: string | null;
  cert_type: string;
  cert_no: string;
  holder_psn_no: string | null;
  ipt_otp_no: string | null;
  begntime: string | null;
  msgid: string;
  at: string;
}

export interface FeeLineRow {
  id: number;
  mdtrt_id: string;
  feedetl_sn: string;
  chrg_bchno: string | null;
  med_list_codg: string;
  pric_e4: number;
  cnt_e4: number;
  amount: Fen;
  hosp_appr_flag: string | null;
  body: string;
}

/** An inpatient fee line's stored split (inpatient.md section 4: made once at upload; a refund line's negated). */
export interface StoredSplit {
  init_feedetl_sn: string | null;
  fulamt_ownpay_amt: Fen;
  overlmt_amt: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
  chrgitm_lv: string;
  /** Parts per 10 000. */
  selfpay_prop: Ratio4;
  pric_uplmt_amt: Fen | null;
  lmt_used_flag: string;
  split_date: string;
  fee_ocur_time: string | null;
}

/** A stay's fee line as 2301/2302/5204 read it. */
export interface StayLineRow extends FeeLineRow, StoredSplit {
  live: 0 | 1;
  /** The settlement in force that covers it, else null. */
  setl_id: string | null;
  /** Σ |cnt_e4| and the number of the live refund lines of this line (0 on a refund line). */
  refunded_cnt_e4: number;
  live_refunds: number;
}

/** Sums over a stay's live unsettled lines: what 2303/2304 settle, without reading the lines. */
export interface StayLineSums {
  lines: number;
  amount: Fen;
  fulamt_ownpay_amt: Fen;
  overlmt_amt: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
}

/** One row of a record's setldetail, as answered. */
export interface SettlementFund {
  fund_pay_type: string;
  fund_pay_type_name: string;
  /** The setlinfo field it pays into (hifp_pay, hifob_pay, ...). */
  field: string;
  inscp_scp_amt: Fen;
  fund_payamt: Fen;
  /** Its cap left after the record; null without a cap. */
  cap_left_after: Fen | null;
}

/**
 * What a settlement record covers besides its debits: fee lines by id, every live unsettled line of a
 * visit, or every line of a visit opened by the same transaction (a pharmacy sale's own).
 */
export type SettledLines = number[] | VisitLines;
export type VisitLines = { unsettledOf: string } | { allOf: string };

/** A chronic-disease filing as kept (2503, or the world's at load). */
export type FilingRow = Omit<FilingFacts, 'cancelled'> & { cancelled: 0 | 1 };

export interface StoredMessage {
  msgid: string;
  infno: string;
  fixmedins_code: string;
  request: string;
  response: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of a settlement record, chained to the one before it (tamper evidence). */
export function recordHash(prev: string, rec: SettlementRecord): string {
  return chainHash(prev, recordValues(rec));
}

export function recordValues(rec: SettlementRecord): unknown[] {
  return RECORD_FIELDS.map((k) => rec[k]);
}

export function chainHash(prev: string, values: unknown[]): string {
  // the values in RECORD_FIELDS order, which the schema version fixes
  return digest('sha256', prev + JSON.stringify(values), 'hex');
}

export type ChainedRow = SettlementRecord & { seq: number; prev_hash: string; hash: string };

/**
 * Walks the hash chain of settlement records, fed in seq order: the first record that was changed,
 * deleted or moved breaks it there; at the end, the stored chain head shows the newest ones removed.
 * `step` answers a verdict at the first broken link, else undefined. Each engine feeds its rows its own way.
 */
export function chainWalker() {
  let prev = GENESIS_HASH;
  let n = 0;
  return {
    step(row: ChainedRow): ChainVerdict | undefined {
      n++;
      const at = { records: n, seq: row.seq, setl_id: row.setl_id };
      if (row.prev_hash !== prev) return { ok: false, ...at, problem: 'the record before it was deleted, or records were reordered' };
      if (recordHash(prev, row) !== row.hash) return { ok: false, ...at, problem: 'the record was changed' };
      prev = row.hash;
      return undefined;
    },
    end(head: string | undefined): ChainVerdict {
      if ((head ?? GENESIS_HASH) !== prev) return { ok: false, records: n, seq: null, setl_id: null, problem: 'the newest record(s) were deleted' };
      return { ok: true, records: n };
    },
  };
}

/** An outpatient visit's stay columns: not inpatient, no state. */
export function stayDefaults(v: Visit) {
  return withDefaults(v, { inpatient: 0 as 0 | 1, state: null as VisitState | null, ipt_no: null as string | null, endtime: null as string | null, dise_codg: null as string | null, dise_name: null as string | null, dscg_way: null as string | null, body: null as string | null });
}
