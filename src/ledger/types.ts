/**
 * The ledger as the rest of medpos sees it: one interface, two engines (SQLite file, PostgreSQL URL).
 * Everything a request reads or writes goes through a LedgerTx inside `transaction`, so that it is
 * whole or absent and, on PostgreSQL, runs on one connection. The world is loaded when the ledger is
 * opened and never changes afterwards, so reading it needs no round trip.
 */
import type { WorldIndex, World } from '../core/world.ts';
import type { Debit, FeeLineRow, SettlementRecord, StoredMessage, Visit } from './records.ts';

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

  insertVisit(v: Visit): Promise<void>;
  visit(mdtrtId: string): Promise<(Visit & { cancelled: 0 | 1; info_med_type: string | null }) | undefined>;
  addVisitEvent(e: { mdtrt_id: string; kind: 'info' | 'cancel'; body: string; msgid: string; at: string }): Promise<void>;
  insertFeeLine(l: Omit<FeeLineRow, 'id'> & { msgid: string; at: string }): Promise<number>;
  feeLines(mdtrtId: string, opts?: { chrgBchno?: string | null; unsettledOnly?: boolean }): Promise<FeeLineRow[]>;
  withdrawFeeLine(id: number, msgid: string, at: string): Promise<void>;

  appendSettlement(rec: SettlementRecord, debits: Debit[], feeLineIds: number[]): Promise<void>;
  settlement(setlId: string): Promise<SettlementRecord | undefined>;
  settlementByMsgid(msgid: string): Promise<SettlementRecord | undefined>;
  undoneBy(setlId: string): Promise<SettlementRecord | undefined>;
  debits(setlId: string): Promise<Debit[]>;
  settlementLineIds(setlId: string): Promise<number[]>;
  linesTakenElsewhere(ids: number[], exceptSetlId: string): Promise<number>;
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
