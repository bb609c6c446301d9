/**
 * The ledger: everything medpos remembers, in one SQLite file (WAL). All SQL lives here, behind
 * plain transactions, so that another SQL database can take SQLite's place. Settlement records
 * (settlements, cancellations, reversals) are only ever appended; balances and counters are the
 * running sums of those records, checked by the database itself never to go below zero.
 */
import Database from 'better-sqlite3';
import { hash as digest } from 'node:crypto';
import { parseWorld, WorldIndex, type World } from '../core/world.ts';
import type { Fen, Ratio4 } from '../core/money.ts';

/** Bumped whenever SCHEMA changes shape. */
const SCHEMA_VERSION = 4;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  psn_no TEXT PRIMARY KEY,
  balc INTEGER NOT NULL CHECK (balc >= 0)
);
CREATE TABLE IF NOT EXISTS counters (
  psn_no TEXT NOT NULL, insutype TEXT NOT NULL, year INTEGER NOT NULL,
  dedc_used INTEGER NOT NULL CHECK (dedc_used >= 0),
  fund_used INTEGER NOT NULL CHECK (fund_used >= 0),
  PRIMARY KEY (psn_no, insutype, year)
);
CREATE TABLE IF NOT EXISTS messages (
  msgid TEXT PRIMARY KEY, infno TEXT NOT NULL, fixmedins_code TEXT NOT NULL,
  request TEXT NOT NULL, response TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY, msgid TEXT, infno TEXT, err_code TEXT NOT NULL, err_msg TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_ins (
  sign_no TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, opter_no TEXT, at TEXT NOT NULL, msgid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS visits (
  mdtrt_id TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, psn_no TEXT NOT NULL, insutype TEXT NOT NULL,
  med_type TEXT, cert_type TEXT NOT NULL, cert_no TEXT NOT NULL, holder_psn_no TEXT,
  ipt_otp_no TEXT, begntime TEXT, msgid TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS visit_events (
  id INTEGER PRIMARY KEY, mdtrt_id TEXT NOT NULL REFERENCES visits(mdtrt_id),
  kind TEXT NOT NULL CHECK (kind IN ('info', 'cancel')), body TEXT NOT NULL, msgid TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fee_lines (
  id INTEGER PRIMARY KEY, mdtrt_id TEXT NOT NULL REFERENCES visits(mdtrt_id), feedetl_sn TEXT NOT NULL,
  chrg_bchno TEXT, med_list_codg TEXT NOT NULL, pric_e4 INTEGER NOT NULL, cnt_e4 INTEGER NOT NULL,
  amount INTEGER NOT NULL, hosp_appr_flag TEXT, body TEXT NOT NULL, msgid TEXT NOT NULL, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fee_lines_visit ON fee_lines (mdtrt_id);
CREATE TABLE IF NOT EXISTS fee_line_withdrawals (
  fee_line_id INTEGER PRIMARY KEY REFERENCES fee_lines(id), msgid TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settlements (
  seq INTEGER PRIMARY KEY,
  setl_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('settle', 'cancel', 'reversal')),
  init_setl_id TEXT REFERENCES settlements(setl_id),
  mdtrt_id TEXT NOT NULL, psn_no TEXT NOT NULL, insutype TEXT NOT NULL, psn_type TEXT NOT NULL,
  clr_type TEXT NOT NULL, clr_optins TEXT NOT NULL, fixmedins_code TEXT NOT NULL, med_type TEXT NOT NULL,
  setl_time TEXT NOT NULL, setl_date TEXT NOT NULL, year INTEGER NOT NULL,
  medfee_sumamt INTEGER NOT NULL, fulamt_ownpay_amt INTEGER NOT NULL, overlmt_selfpay INTEGER NOT NULL,
  preselfpay_amt INTEGER NOT NULL, inscp_scp_amt INTEGER NOT NULL, act_pay_dedc INTEGER NOT NULL,
  hifp_pay INTEGER NOT NULL, fund_pay_sumamt INTEGER NOT NULL, psn_part_amt INTEGER NOT NULL,
  acct_pay INTEGER NOT NULL, acct_mulaid_pay INTEGER NOT NULL, psn_cash_pay INTEGER NOT NULL,
  balc INTEGER NOT NULL, mdtrt_cert_type TEXT NOT NULL, pool_prop_selfpay INTEGER NOT NULL, msgid TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  CHECK (medfee_sumamt = fund_pay_sumamt + acct_pay + psn_cash_pay)
);
CREATE INDEX IF NOT EXISTS settlements_init ON settlements (init_setl_id);
CREATE INDEX IF NOT EXISTS settlements_day ON settlements (fixmedins_code, setl_date);
CREATE TABLE IF NOT EXISTS settlement_debits (
  setl_id TEXT NOT NULL REFERENCES settlements(setl_id), psn_no TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('own', 'mulaid')), amount INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS settlement_debits_setl ON settlement_debits (setl_id);
CREATE TABLE IF NOT EXISTS settlement_lines (
  setl_id TEXT NOT NULL REFERENCES settlements(setl_id), fee_line_id INTEGER NOT NULL REFERENCES fee_lines(id),
  PRIMARY KEY (setl_id, fee_line_id)
);
CREATE INDEX IF NOT EXISTS settlement_lines_line ON settlement_lines (fee_line_id);
CREATE TABLE IF NOT EXISTS ecert_uses (
  nonce TEXT PRIMARY KEY, psn_no TEXT NOT NULL, token TEXT NOT NULL UNIQUE, fixmedins_code TEXT NOT NULL,
  used_at INTEGER NOT NULL, token_expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS request_nonces (
  paasid TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (paasid, nonce)
);
`;

/** A settlement record is in force unless reversed (2601) or, for a settlement, cancelled by a cancellation in force. */
const IN_FORCE = (s: string) => `(
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
const RECORD_FIELDS = [
  'setl_id', 'kind', 'init_setl_id', 'mdtrt_id', 'psn_no', 'insutype', 'psn_type', 'clr_type', 'clr_optins', 'fixmedins_code',
  'med_type', 'setl_time', 'setl_date', 'year', ...AMOUNT_FIELDS, 'balc', 'mdtrt_cert_type', 'pool_prop_selfpay', 'msgid',
] as const satisfies readonly (keyof SettlementRecord)[];

const INSERT_SETTLEMENT = `INSERT INTO settlements (${RECORD_FIELDS.join(', ')}, prev_hash, hash) VALUES (${RECORD_FIELDS.map(() => '?').join(', ')}, ?, ?)`;

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

function recordValues(rec: SettlementRecord): unknown[] {
  return RECORD_FIELDS.map((k) => rec[k]);
}

function chainHash(prev: string, values: unknown[]): string {
  // the values in RECORD_FIELDS order, which the schema version fixes
  return digest('sha256', prev + JSON.stringify(values), 'hex');
}

export class Ledger {
  readonly db: Database.Database;
  private cachedWorld: WorldIndex | undefined;
  /** One wrapper for every call: building a better-sqlite3 transaction function costs more than a small settlement's SQL. */
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 30000');
    this.db.pragma('foreign_keys = ON');
    this.createOrCheckSchema(path);
    this.runInTransaction = this.db.transaction((fn: () => unknown) => fn());
  }

  /** A new file gets the schema; a file made by another version of the schema is refused, never half-used. */
  private createOrCheckSchema(path: string): void {
    const fresh = (this.db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n === 0;
    if (fresh) {
      this.db.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      return;
    }
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      this.db.close();
      throw new Error(`${path} holds a medpos ledger of schema ${version}; this medpos needs schema ${SCHEMA_VERSION}: keep that file aside and make a new one with \`medpos init\``);
    }
  }

  /** Prepared statements, compiled once per connection: preparing is most of a small query's cost. */
  private readonly statements = new Map<string, Database.Statement>();
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE): whole or absent. */
  transaction<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn) as T;
  }


  // --- world -------------------------------------------------------------------------------

  hasWorld(): boolean {
    return this.meta('world') !== undefined;
  }

  world(): WorldIndex {
    if (!this.cachedWorld) {
      const raw = this.meta('world');
      if (raw === undefined) throw new Error('the database has no world: run `medpos init --db FILE --world DIR` first');
      this.cachedWorld = new WorldIndex(parseWorld(JSON.parse(raw)));
    }
    return this.cachedWorld;
  }

  settlementCount(): number {
    return (this.stmt('SELECT count(*) AS n FROM settlements').get() as { n: number }).n;
  }

  /** Loads a world into an empty ledger: opening balances, this year's counters from `ytd`, the platform's key. */
  loadWorld(raw: Record<string, unknown>, world: World, year: number, platformKey: Buffer): void {
    this.transaction(() => {
      if (this.hasWorld()) throw new Error('the database already holds a world');
      this.setMeta('world', JSON.stringify(raw));
      this.setMeta('platform_key', platformKey.toString('hex'));
      this.setMeta('world_year', String(year));
      const account = this.stmt('INSERT INTO accounts (psn_no, balc) VALUES (?, ?)');
      const counter = this.stmt('INSERT INTO counters (psn_no, insutype, year, dedc_used, fund_used) VALUES (?, ?, ?, ?, ?)');
      for (const p of world.persons) {
        const balc = p.insuinfo.find((i) => i.insutype === '310')?.balc;
        account.run(p.baseinfo.psn_no, balc ?? 0);
        for (const [insutype, used] of Object.entries(p.ytd ?? {})) {
          counter.run(p.baseinfo.psn_no, insutype, year, used.dedc_used ?? 0, used.fund_used ?? 0);
        }
      }
    });
  }

  /** The simulated platform's secret (e-certificate signatures); it never leaves the database. */
  platformKey(): Buffer {
    const hex = this.meta('platform_key');
    if (!hex) throw new Error('the database has no platform key: run `medpos init` again');
    return Buffer.from(hex, 'hex');
  }

  /**
   * A signed request's nonce: true when it is fresh (and now recorded), false when this paasid used it
   * in the last 600 s. The claim is one statement, so that two servers on one database cannot both win it.
   */
  claimNonce(paasid: string, nonce: string, atUnixSeconds: number): boolean {
    // nonces past the window matter no more: the table holds ten minutes of requests, not all of them
    this.stmt('DELETE FROM request_nonces WHERE paasid = ? AND at <= ?').run(paasid, atUnixSeconds - 600);
    return (
      this.stmt(
        'INSERT INTO request_nonces (paasid, nonce, at) VALUES (?, ?, ?) ON CONFLICT (paasid, nonce) DO UPDATE SET at = excluded.at WHERE request_nonces.at <= excluded.at - 600 RETURNING 1',
      ).get(paasid, nonce, atUnixSeconds) !== undefined
    );
  }

  ecertUsed(nonce: string): boolean {
    return this.stmt('SELECT 1 FROM ecert_uses WHERE nonce = ?').get(nonce) !== undefined;
  }

  recordEcertUse(u: { nonce: string; psn_no: string; token: string; fixmedins_code: string; used_at: number; token_expires_at: number }): void {
    this
      .stmt('INSERT INTO ecert_uses (nonce, psn_no, token, fixmedins_code, used_at, token_expires_at) VALUES (@nonce, @psn_no, @token, @fixmedins_code, @used_at, @token_expires_at)')
      .run(u);
  }

  ecertToken(token: string): { psn_no: string; fixmedins_code: string; token_expires_at: number } | undefined {
    return this.stmt('SELECT psn_no, fixmedins_code, token_expires_at FROM ecert_uses WHERE token = ?').get(token) as
      | { psn_no: string; fixmedins_code: string; token_expires_at: number }
      | undefined;
  }

  meta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The next number of a named sequence (ids stay deterministic for a pinned clock). */
  nextSeq(name: string): number {
    const row = this
      .stmt('INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value')
      .get(name) as { value: number };
    return row.value;
  }

  // --- messages ----------------------------------------------------------------------------

  findMessage(msgid: string): StoredMessage | undefined {
    return this.stmt('SELECT msgid, infno, fixmedins_code, request, response FROM messages WHERE msgid = ?').get(msgid) as
      | StoredMessage
      | undefined;
  }

  saveMessage(m: StoredMessage & { at: string }): void {
    this
      .stmt('INSERT INTO messages (msgid, infno, fixmedins_code, request, response, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(m.msgid, m.infno, m.fixmedins_code, m.request, m.response, m.at);
  }

  /** Keeps a refused request in the audit log of attempts; returns its serial number. */
  recordAttempt(a: { msgid: string | null; infno: string | null; err_code: string; err_msg: string; at: string }): number {
    return Number(this.stmt('INSERT INTO attempts (msgid, infno, err_code, err_msg, at) VALUES (?, ?, ?, ?, ?)').run(a.msgid, a.infno, a.err_code, a.err_msg, a.at).lastInsertRowid);
  }

  recordSignIn(s: { sign_no: string; fixmedins_code: string; opter_no: string | null; at: string; msgid: string }): void {
    this.stmt('INSERT INTO sign_ins (sign_no, fixmedins_code, opter_no, at, msgid) VALUES (?, ?, ?, ?, ?)').run(s.sign_no, s.fixmedins_code, s.opter_no, s.at, s.msgid);
  }

  // --- balances and counters ---------------------------------------------------------------

  balance(psnNo: string): Fen {
    return (this.stmt('SELECT balc FROM accounts WHERE psn_no = ?').get(psnNo) as { balc: number } | undefined)?.balc ?? 0;
  }

  counters(psnNo: string, insutype: string, year: number): { dedcUsed: Fen; fundUsed: Fen } {
    const row = this.stmt('SELECT dedc_used, fund_used FROM counters WHERE psn_no = ? AND insutype = ? AND year = ?').get(psnNo, insutype, year) as
      | { dedc_used: number; fund_used: number }
      | undefined;
    return { dedcUsed: row?.dedc_used ?? 0, fundUsed: row?.fund_used ?? 0 };
  }

  // --- visits and fee lines ----------------------------------------------------------------

  insertVisit(v: Visit): void {
    this
      .stmt(
        `INSERT INTO visits (mdtrt_id, fixmedins_code, psn_no, insutype, med_type, cert_type, cert_no, holder_psn_no, ipt_otp_no, begntime, msgid, at)
         VALUES (@mdtrt_id, @fixmedins_code, @psn_no, @insutype, @med_type, @cert_type, @cert_no, @holder_psn_no, @ipt_otp_no, @begntime, @msgid, @at)`,
      )
      .run(v);
  }

  visit(mdtrtId: string): (Visit & { cancelled: 0 | 1; info_med_type: string | null }) | undefined {
    return this
      .stmt(
        `SELECT v.*, EXISTS (SELECT 1 FROM visit_events e WHERE e.mdtrt_id = v.mdtrt_id AND e.kind = 'cancel') AS cancelled,
           (SELECT json_extract(e.body, '$.med_type') FROM visit_events e WHERE e.mdtrt_id = v.mdtrt_id AND e.kind = 'info' ORDER BY e.id DESC LIMIT 1) AS info_med_type
         FROM visits v WHERE v.mdtrt_id = ?`,
      )
      .get(mdtrtId) as (Visit & { cancelled: 0 | 1; info_med_type: string | null }) | undefined;
  }

  addVisitEvent(e: { mdtrt_id: string; kind: 'info' | 'cancel'; body: string; msgid: string; at: string }): void {
    this.stmt('INSERT INTO visit_events (mdtrt_id, kind, body, msgid, at) VALUES (@mdtrt_id, @kind, @body, @msgid, @at)').run(e);
  }

  insertFeeLine(l: Omit<FeeLineRow, 'id'> & { msgid: string; at: string }): number {
    return Number(
      this
        .stmt(
          `INSERT INTO fee_lines (mdtrt_id, feedetl_sn, chrg_bchno, med_list_codg, pric_e4, cnt_e4, amount, hosp_appr_flag, body, msgid, at)
           VALUES (@mdtrt_id, @feedetl_sn, @chrg_bchno, @med_list_codg, @pric_e4, @cnt_e4, @amount, @hosp_appr_flag, @body, @msgid, @at)`,
        )
        .run(l).lastInsertRowid,
    );
  }

  /** Lines of a visit that are not withdrawn (2205); with `unsettledOnly`, also not in a settlement in force. */
  feeLines(mdtrtId: string, opts: { chrgBchno?: string | null; unsettledOnly?: boolean } = {}): FeeLineRow[] {
    const batch = opts.chrgBchno && opts.chrgBchno !== '0000' ? opts.chrgBchno : null;
    return this
      .stmt(
        `SELECT f.id, f.mdtrt_id, f.feedetl_sn, f.chrg_bchno, f.med_list_codg, f.pric_e4, f.cnt_e4, f.amount, f.hosp_appr_flag, f.body
         FROM fee_lines f
         WHERE f.mdtrt_id = @mdtrt AND (@batch IS NULL OR f.chrg_bchno = @batch)
           AND NOT EXISTS (SELECT 1 FROM fee_line_withdrawals w WHERE w.fee_line_id = f.id)
           AND (@unsettled = 0 OR NOT EXISTS (
             SELECT 1 FROM settlement_lines sl JOIN settlements s ON s.setl_id = sl.setl_id
             WHERE sl.fee_line_id = f.id AND ${IN_FORCE('s')}))
         ORDER BY f.id`,
      )
      .all({ mdtrt: mdtrtId, batch, unsettled: opts.unsettledOnly ? 1 : 0 }) as FeeLineRow[];
  }

  withdrawFeeLine(id: number, msgid: string, at: string): void {
    this.stmt('INSERT INTO fee_line_withdrawals (fee_line_id, msgid, at) VALUES (?, ?, ?)').run(id, msgid, at);
  }

  // --- settlement records ------------------------------------------------------------------

  /**
   * Appends a settlement record and applies it: debits leave (or, negative, return to) personal
   * accounts; the deductible and fund counters of the record's year move by its amounts.
   */
  appendSettlement(rec: SettlementRecord, debits: Debit[], feeLineIds: number[]): void {
    const prev = (this.stmt('SELECT hash FROM settlements ORDER BY seq DESC LIMIT 1').get() as { hash: string } | undefined)?.hash ?? GENESIS_HASH;
    const values = recordValues(rec);
    const hash = chainHash(prev, values);
    this.stmt(INSERT_SETTLEMENT).run(...values, prev, hash);
    this.setMeta('chain_head', hash); // so that removing the newest record shows too
    const debit = this.stmt('INSERT INTO settlement_debits (setl_id, psn_no, role, amount) VALUES (?, ?, ?, ?)');
    const move = this.stmt('UPDATE accounts SET balc = balc - ? WHERE psn_no = ?');
    for (const d of debits) {
      debit.run(rec.setl_id, d.psn_no, d.role, d.amount);
      if (move.run(d.amount, d.psn_no).changes !== 1) throw new Error(`no personal account for ${d.psn_no}`);
    }
    if (rec.act_pay_dedc !== 0 || rec.hifp_pay !== 0) {
      // UPDATE first: SQLite checks an upsert's CHECK constraints on the would-be new row, which a negative delta fails.
      const counter = { psn_no: rec.psn_no, insutype: rec.insutype, year: rec.year, dedc: rec.act_pay_dedc, fund: rec.hifp_pay };
      const moved = this
        .stmt('UPDATE counters SET dedc_used = dedc_used + @dedc, fund_used = fund_used + @fund WHERE psn_no = @psn_no AND insutype = @insutype AND year = @year')
        .run(counter).changes;
      if (moved === 0) this.stmt('INSERT INTO counters (psn_no, insutype, year, dedc_used, fund_used) VALUES (@psn_no, @insutype, @year, @dedc, @fund)').run(counter);
    }
    const line = this.stmt('INSERT INTO settlement_lines (setl_id, fee_line_id) VALUES (?, ?)');
    for (const id of feeLineIds) line.run(rec.setl_id, id);
  }

  settlement(setlId: string): SettlementRecord | undefined {
    return this.stmt('SELECT * FROM settlements WHERE setl_id = ?').get(setlId) as SettlementRecord | undefined;
  }

  settlementByMsgid(msgid: string): SettlementRecord | undefined {
    return this.stmt('SELECT * FROM settlements WHERE msgid = ?').get(msgid) as SettlementRecord | undefined;
  }

  /** The record in force that undoes this one: a cancellation in force, or a reversal. */
  undoneBy(setlId: string): SettlementRecord | undefined {
    return this
      .stmt(`SELECT * FROM settlements u WHERE u.init_setl_id = ? AND (u.kind = 'reversal' OR ${IN_FORCE('u')}) ORDER BY seq LIMIT 1`)
      .get(setlId) as SettlementRecord | undefined;
  }

  debits(setlId: string): Debit[] {
    return this.stmt('SELECT psn_no, role, amount FROM settlement_debits WHERE setl_id = ? ORDER BY rowid').all(setlId) as Debit[];
  }

  settlementLineIds(setlId: string): number[] {
    return (this.stmt('SELECT fee_line_id FROM settlement_lines WHERE setl_id = ? ORDER BY fee_line_id').all(setlId) as { fee_line_id: number }[]).map(
      (r) => r.fee_line_id,
    );
  }

  /** Fee lines that are withdrawn, or held by another settlement in force. */
  linesTakenElsewhere(ids: number[], exceptSetlId: string): number {
    if (ids.length === 0) return 0;
    const q = this.stmt(
      `SELECT (EXISTS (SELECT 1 FROM fee_line_withdrawals w WHERE w.fee_line_id = @id)
        OR EXISTS (SELECT 1 FROM settlement_lines sl JOIN settlements s ON s.setl_id = sl.setl_id
                   WHERE sl.fee_line_id = @id AND s.setl_id <> @except AND ${IN_FORCE('s')})) AS taken`,
    );
    return ids.filter((id) => (q.get({ id, except: exceptSetlId }) as { taken: number }).taken).length;
  }

  /** Settlement records of an institution dated in [from, to], for reconciliation; reversed records and their reversals are left out. */
  recordsForReconciliation(q: { fixmedins_code: string; from: string; to: string; setl_optins?: string | undefined }): (SettlementRecord & { in_force: 0 | 1 })[] {
    return this
      .stmt(
        `SELECT s.*, ${IN_FORCE('s')} AS in_force FROM settlements s
         WHERE s.fixmedins_code = @code AND s.setl_date BETWEEN @from AND @to AND s.kind <> 'reversal'
           AND NOT EXISTS (SELECT 1 FROM settlements r WHERE r.kind = 'reversal' AND r.init_setl_id = s.setl_id)
           AND (@optins IS NULL OR s.clr_optins = @optins)
         ORDER BY s.seq`,
      )
      .all({ code: q.fixmedins_code, from: q.from, to: q.to, optins: q.setl_optins ?? null }) as (SettlementRecord & { in_force: 0 | 1 })[];
  }

  /**
   * Walks the hash chain of settlement records: the first record that was changed, deleted or
   * moved breaks it there.
   */
  verifyChain(): { ok: true; records: number } | { ok: false; records: number; seq: number | null; setl_id: string | null; problem: string } {
    let prev = GENESIS_HASH;
    let n = 0;
    for (const row of this.stmt('SELECT * FROM settlements ORDER BY seq').iterate() as Iterable<SettlementRecord & { seq: number; prev_hash: string; hash: string }>) {
      n++;
      const at = { records: n, seq: row.seq, setl_id: row.setl_id };
      if (row.prev_hash !== prev) return { ok: false, ...at, problem: 'the record before it was deleted, or records were reordered' };
      if (recordHash(prev, row) !== row.hash) return { ok: false, ...at, problem: 'the record was changed' };
      prev = row.hash;
    }
    if ((this.meta('chain_head') ?? GENESIS_HASH) !== prev) return { ok: false, records: n, seq: null, setl_id: null, problem: 'the newest record(s) were deleted' };
    return { ok: true, records: n };
  }
}
