/**
 * What the terminal holds while a cashier works: the checkout (patient, lines, pre-settlement,
 * the outpatient visit), and the small conversions every flow shares. Money is integer fen here;
 * the platform's outputs are yuan and are converted once, where they are read (`fen`).
 */
import { randomUUID } from 'node:crypto';
import type { Fen } from '../core/money.ts';
import type { ReaderId } from './devices.ts';
import type { CertRecord, SaleLineRecord } from './store.ts';

export const LEVEL_NAMES: Record<string, string> = { '01': '甲', '02': '乙', '03': '丙' };
export const INSUTYPE_NAMES: Record<string, string> = { '310': '职工基本医疗保险', '390': '城乡居民基本医疗保险' };

/** yuan (a platform output number) to fen. */
export function fen(yuan: unknown): Fen {
  return typeof yuan === 'number' && Number.isFinite(yuan) ? Math.round(yuan * 100) : 0;
}
/** fen to yuan, for JSON at the edge. */
export function yuan(f: Fen): number {
  return f / 100;
}

export interface Cashier {
  opter_no: string;
  opter_name: string;
  sign_no: string;
  sign_time: string;
}

export interface Insu {
  insutype: string;
  psn_type: string;
  psn_insu_stas: string;
  insuplc_admdvs: string;
  balc: Fen;
}

export interface Patient {
  psn_no: string;
  name: string;
  certno: string;
  gend: string;
  age: number | null;
  insuinfo: Insu[];
  via: 'card' | 'ecert' | 'id';
  cert: CertRecord;
  /** The holder whose card pays (family mutual aid with the holder's card). */
  holder: { name: string; certno: string } | null;
  card: { reader: ReaderId; seq: number; present: boolean } | null;
}

export interface LineSplitView {
  fulamt_ownpay_amt: Fen;
  overlmt_amt: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
}

export interface Line {
  no: number;
  hilist_code: string;
  name: string;
  chrgitm_lv: string | null;
  list_type: string | null;
  selfpay_prop: number | null;
  cap: Fen | null;
  lmt_used_flag: string | null;
  pric: Fen | null;
  cnt_e4: number;
  hosp_appr_flag: '0' | '1';
  trace_code: string | null;
  split: LineSplitView | null;
}

export type PricedLine = Line & { pric: Fen; amount: Fen };

export type Setl = Record<string, unknown>;

export interface Notice {
  at: string;
  level: 'info' | 'warn' | 'error';
  text: string;
  err_code?: string | undefined;
}

export interface Visit {
  mdtrt_id: string;
  ipt_otp_no: string;
  uploadedSig: string | null;
  round: number;
  batch: string | null;
}

export class Checkout {
  readonly id = randomUUID();
  state: 'open' | 'settled' | 'void' = 'open';
  patient: Patient | null = null;
  insutype: string | null = null;
  lines: Line[] = [];
  nextNo = 1;
  acctUsed = true;
  pre: { setl: Setl; sig: string } | null = null;
  visit: Visit | null = null;
  setlId: string | null = null;
  notices: Notice[] = [];
  readonly abort = new AbortController();
  constructor(
    readonly mode: 'pharmacy' | 'outpatient',
    readonly startedAt: number,
    readonly begntime: string,
    readonly minSeq: Map<ReaderId, number>,
    readonly endScans: () => void,
  ) {}
}

export function certInput(c: CertRecord): Record<string, string> {
  return { mdtrt_cert_type: c.mdtrt_cert_type, mdtrt_cert_no: c.mdtrt_cert_no, ...(c.card_sn ? { card_sn: c.card_sn } : {}) };
}

export function saleLine(l: PricedLine, sn: string): SaleLineRecord {
  return { feedetl_sn: sn, hilist_code: l.hilist_code, name: l.name, chrgitm_lv: l.chrgitm_lv, pric: l.pric, cnt_e4: l.cnt_e4, amount: l.amount, hosp_appr_flag: l.hosp_appr_flag, trace_code: l.trace_code };
}

/** A till line as a platform fee-detail row (2101/2102 drugdetail, 2204 feedetail). */
export function recordDetail(l: SaleLineRecord, extra: Record<string, unknown> = {}) {
  return {
    feedetl_sn: l.feedetl_sn,
    med_list_codg: l.hilist_code,
    medins_list_codg: l.hilist_code,
    det_item_fee_sumamt: yuan(l.amount),
    cnt: l.cnt_e4 / 10_000,
    pric: yuan(l.pric),
    hosp_appr_flag: l.hosp_appr_flag,
    ...(l.trace_code ? { drug_trac_codg: l.trace_code } : {}),
    ...extra,
  };
}

export function sum(lines: SaleLineRecord[]): Fen {
  return lines.reduce((s, l) => s + l.amount, 0);
}

export function lineSplit(d: Record<string, unknown>): LineSplitView {
  return { fulamt_ownpay_amt: fen(d.fulamt_ownpay_amt), overlmt_amt: fen(d.overlmt_amt), preselfpay_amt: fen(d.preselfpay_amt), inscp_scp_amt: fen(d.inscp_scp_amt) };
}
