/**
 * What both ledger engines share: the settlement record and its fields, the hash chain over them,
 * and the SQL text that is the same on SQLite and PostgreSQL.
 */
import { hash as digest } from 'node:crypto';
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

export interface SettlementRecord extends Amounts {
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

/** The fields of a settlement record that its hash covers: all but its position and the chain itself. */
export const RECORD_FIELDS = [
  'setl_id', 'kind', 'init_setl_id', 'mdtrt_id', 'psn_no', 'insutype', 'psn_type', 'clr_type', 'clr_optins', 'fixmedins_code',
  'med_type', 'setl_time', 'setl_date', 'year', ...AMOUNT_FIELDS, 'balc', 'mdtrt_cert_type', 'pool_prop_selfpay', 'msgid',
] as const satisfies readonly (keyof SettlementRecord)[];

export interface Debit {
  psn_no: string;
  role: 'own' | 'mulaid';
  amount: Fen;
}

export interface Visit {
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
