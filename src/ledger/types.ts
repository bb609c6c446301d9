/**
 * The ledger as the rest of medpos sees it: one interface, two engines (SQLite file, PostgreSQL URL).
 * Everything a request reads or writes goes through a LedgerTx inside `transaction`, so that it is
 * whole or absent and, on PostgreSQL, runs on one connection. The world is loaded when the ledger is
 * opened and never changes afterwards, so reading it needs no round trip.
 */
import type { WorldIndex, World } from '../core/world.ts';
import type { ChronicCounters, YearCounters } from '../core/counters.ts';
import type {
  Debit, FeeLineRow, FilingRow, SettledLines, SettlementFund, SettlementRecord, StayColumns, StayLineRow, StayLineSums, StoredMessage, StoredSplit, Visit, VisitPatch,
} from './records.ts';

/** A visit as read back: its stay columns always there (an outpatient visit's are 0 and null). */
export type VisitRow = Visit & StayColumns & { cancelled: 0 | 1; info_med_type: string | null };

/** A stay's fee line to store (2301): the line, its split for good, and the request that brought it. */
export type NewStayLine = Omit<FeeLineRow, 'id'> & StoredSplit & { msgid: string; at: string };

export type Engine = 'sqlite' | 'postgres';

/** How long a request nonce stays claimed. */
export const NONCE_WINDOW_SECONDS = 600;

/** The database cannot be reached (down, restarting, connection lost): nothing was applied unless a COMMIT was in flight. */
export class LedgerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerUnavailable';
  }
}

export type ChainVerdict = { ok: true; records: number } | { ok: false; records: number; seq: number | null; setl_id: string | null; problem: string };

/** What one transaction may do. Every method runs inside the transaction it was handed to. */
export interface LedgerTx {
  world(): WorldIndex;
  platformKey(): Buffer;

  meta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** The next number of a named sequence (ids stay deterministic for a pinned clock). */
  nextSeq(name: string): Promise<number>;

  findMessage(msgid: string): Promise<StoredMessage | undefined>;
  saveMessage(m: StoredMessage & { at: string }): Promise<void>;
  recordAttempt(a: { msgid: string | null; infno: string | null; err_code: string; err_msg: string; at: string }): Promise<number>;
  recordSignIn(s: { sign_no: string; fixmedins_code: string; opter_no: string | null; at: string; msgid: string }): Promise<void>;
  /**
   * Claims a signed request's nonce (x-tif-nonce) for a paasid: true, and recorded, when it was not
   * claimed in the last NONCE_WINDOW_SECONDS; false when it was. `atUnixSeconds` is the real clock.
   */
  claimNonce(paasid: string, nonce: string, atUnixSeconds: number): Promise<boolean>;

  ecertUsed(nonce: string): Promise<boolean>;
  recordEcertUse(u: { nonce: string; psn_no: string; token: string; fixmedins_code: string; used_at: number; token_expires_at: number }): Promise<void>;
  ecertToken(token: string): Promise<{ psn_no: string; fixmedins_code: string; token_expires_at: number } | undefined>;

  balance(psnNo: string): Promise<number>;
  counters(psnNo: string, insutype: string, year: number): Promise<{ dedcUsed: number; fundUsed: number }>;
  /** All eight year counters of inpatient.md section 6 (zeros where none moved yet). */
  yearCounters(psnNo: string, insutype: string, year: number): Promise<YearCounters>;
  /** A chronic disease's counters (section 7). */
  chronicCounters(psnNo: string, insutype: string, year: number, opspDiseCode: string): Promise<ChronicCounters>;

  insertVisit(v: Visit): Promise<void>;
  visit(mdtrtId: string): Promise<VisitRow | undefined>;
  /** Changes a visit's stay columns and bumps its `rev`; returns the new `rev`. */
  updateVisit(mdtrtId: string, patch: VisitPatch): Promise<number>;
  /** The person's visits at the institution in the order opened (5201), all kinds. */
  visitsOf(fixmedinsCode: string, psnNo: string): Promise<VisitRow[]>;
  /** The person's admissions at the institution ADMITTED or DISCHARGED (one at most; `admission_open`). */
  openAdmissions(fixmedinsCode: string, psnNo: string): Promise<VisitRow[]>;
  addVisitEvent(e: { mdtrt_id: string; kind: 'info' | 'cancel'; body: string; msgid: string; at: string }): Promise<void>;
  insertFeeLine(l: Omit<FeeLineRow, 'id'> & { msgid: string; at: string }): Promise<number>;
  feeLines(mdtrtId: string, opts?: { chrgBchno?: string | null; unsettledOnly?: boolean }): Promise<FeeLineRow[]>;
  withdrawFeeLine(id: number, msgid: string, at: string): Promise<void>;
  /** Stores fee lines with their splits, in order (ids ascending in that order). Settle them by `{ unsettledOf }`, not by id: on PostgreSQL the insert travels with the transaction's next round trip. */
  insertStayLines(lines: NewStayLine[]): Promise<void>;
  /** The visit's lines of these feedetl_sn, withdrawn ones included (2301's and 2302's checks). */
  stayLinesBySn(mdtrtId: string, sns: readonly string[]): Promise<StayLineRow[]>;
  /** The visit's live lines in upload order; with `setlId`, only those that record covered (5204). */
  stayLines(mdtrtId: string, opts?: { setlId?: string }): Promise<StayLineRow[]>;
  /** Sums of the visit's live unsettled lines (2303/2304 read no line); `live` counts every live line. */
  stayLineSums(mdtrtId: string): Promise<StayLineSums & { live: number }>;
  /** 2302 "0000": withdraws every live unsettled line of the visit; returns how many. */
  withdrawUnsettled(mdtrtId: string, msgid: string, at: string): Promise<number>;

  /**
   * Appends a record and applies it: debits, counters `+= d_*` of its year (completeRecord fills an
   * outpatient record's), the lines it covers, and its setldetail rows.
   */
  appendSettlement(rec: SettlementRecord, debits: Debit[], lines: SettledLines, funds?: readonly SettlementFund[]): Promise<void>;
  /** A record's setldetail rows as stored, in order. */
  settlementFunds(setlId: string): Promise<SettlementFund[]>;
  /** The visit's settlements (kind 'settle'), oldest first, each with whether it is in force. */
  visitSettlements(mdtrtId: string): Promise<(SettlementRecord & { in_force: 0 | 1 })[]>;
  settlement(setlId: string): Promise<SettlementRecord | undefined>;
  settlementByMsgid(msgid: string): Promise<SettlementRecord | undefined>;
  undoneBy(setlId: string): Promise<SettlementRecord | undefined>;
  debits(setlId: string): Promise<Debit[]>;
  settlementLineIds(setlId: string): Promise<number[]>;
  linesTakenElsewhere(ids: number[], exceptSetlId: string): Promise<number>;
  /** The person's filings, the world's in order then 2503's, cancelled ones included. */
  filings(psnNo: string): Promise<FilingRow[]>;
  filing(trtDclaDetlSn: string): Promise<FilingRow | undefined>;
  insertFiling(f: Omit<FilingRow, 'cancelled'> & { msgid: string | null; at: string }): Promise<void>;
  cancelFiling(trtDclaDetlSn: string, msgid: string, at: string): Promise<void>;

  recordsForReconciliation(q: { fixmedins_code: string; from: string; to: string; setl_optins?: string | undefined }): Promise<(SettlementRecord & { in_force: 0 | 1 })[]>;
}

/** An open ledger. */
export interface LedgerStore {
  readonly engine: Engine;
  /** Where it is, for messages: a file path, or the URL without its password. */
  readonly location: string;
  hasWorld(): boolean;
  /** The world; throws, saying to run `medpos init`, when the ledger holds none. */
  world(): WorldIndex;
  platformKey(): Buffer;
  /** Runs fn in one write transaction: whole or absent. Serialization failures and deadlocks are retried inside. */
  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T>;
  /** Loads a world into an empty ledger: opening balances, this year's counters from `ytd`, the platform's key. */
  loadWorld(raw: Record<string, unknown>, world: World, year: number, platformKey: Buffer): Promise<void>;
  settlementCount(): Promise<number>;
  /**
   * Chains every committed, unsealed settlement record into the hash chain; returns how many. The
   * SQLite engine chains each record as it appends it (returns 0); PostgreSQL seals shortly after
   * commit by itself, and on close; call it where a record must be tamper-evident now.
   */
  seal(): Promise<number>;
  /** Walks the hash chain of settlement records (after sealing). */
  verifyChain(): Promise<ChainVerdict>;
  close(): Promise<void>;
}
