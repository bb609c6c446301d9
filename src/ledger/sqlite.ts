/**
 * The SQLite engine of the ledger: one file (WAL, synchronous FULL). Settlement records
 * (settlements, cancellations, reversals) are only ever appended; balances and counters are the
 * running sums of those records, checked by the database itself never to go below zero.
 * better-sqlite3 is synchronous, so a transaction's methods only wrap it; because the function given
 * to `transaction` is async, transactions of one process are queued so that none interleaves with
 * another on the one connection. Other processes wait for the file's write lock (BEGIN IMMEDIATE).
 */
import Database from 'better-sqlite3';
import { Serial } from '../core/serial.ts';
import { WorldIndex, type World } from '../core/world.ts';
import { PARSED_WORLD_KEY, parsedWorldMeta, worldFromMeta } from './stored-world.ts';
import type { Fen } from '../core/money.ts';
import { worldFilings } from '../core/chronic.ts';
import { openingCounters, YEAR_COUNTERS } from '../core/counters.ts';
import { chainHash, chainWalker, completeRecord, stayDefaults, GENESIS_HASH, IN_FORCE, RECORD_FIELDS, recordValues, type ChainedRow, type Debit, type FeeLineRow, type SettledLines, type SettlementFund, type SettlementRecord, type StoredMessage, type Visit } from './records.ts';
import { SqliteStayTx, VISIT_SELECT } from './sqlite-stay.ts';
import { SCHEMA, SCHEMA_VERSION } from './sqlite-schema.ts';
import { NONCE_WINDOW_SECONDS, type ChainVerdict, type LedgerStore, type LedgerTx, type VisitRow } from './types.ts';

const INSERT_SETTLEMENT = `INSERT INTO settlements (${RECORD_FIELDS.join(', ')}, prev_hash, hash) VALUES (${RECORD_FIELDS.map(() => '?').join(', ')}, ?, ?)`;

const NO_WORLD = 'the database has no world: run `medpos init --db FILE --world DIR` first';

export class SqliteLedger implements LedgerStore {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly conn: Database.Database;
  private readonly queue = new Serial();
  private readonly tx: SqliteTx;
  private loaded: { world: WorldIndex; key: Buffer } | undefined;
  private readonly begin: Database.Statement;
  private readonly beginRead: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(path: string) {
    this.location = path;
    this.conn = new Database(path);
    this.conn.pragma('journal_mode = WAL');
    this.conn.pragma('synchronous = FULL');
    this.conn.pragma('busy_timeout = 30000');
    this.conn.pragma('foreign_keys = ON');
    this.createOrCheckSchema(path);
    this.begin = this.conn.prepare('BEGIN IMMEDIATE');
    this.beginRead = this.conn.prepare('BEGIN');
    this.commit = this.conn.prepare('COMMIT');
    this.rollback = this.conn.prepare('ROLLBACK');
    this.tx = new SqliteTx(this);
    this.loadFromMeta();
  }

  /** The connection itself, for SQLite-only checks (tests, the crash test, the bench); medpos goes through `transaction`. */
  get db(): Database.Database {
    return this.conn;
  }

  /** A new file gets the schema; a file made by another version of the schema is refused, never half-used. */
  private createOrCheckSchema(path: string): void {
    const fresh = (this.conn.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n === 0;
    if (fresh) {
      this.conn.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      return;
    }
    const version = this.conn.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      this.conn.close();
      throw new Error(`${path} holds a medpos ledger of schema ${version}; this medpos needs schema ${SCHEMA_VERSION}: keep that file aside and make a new one with \`medpos init\``);
    }
  }

  private loadFromMeta(): void {
    const meta = (key: string) => (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    const raw = meta('world');
    const key = meta('platform_key');
    if (raw === undefined) return;
    if (!key) throw new Error(`${this.location} has no platform key: run \`medpos init\` again`);
    this.loaded = { world: new WorldIndex(worldFromMeta(raw, meta(PARSED_WORLD_KEY))), key: Buffer.from(key, 'hex') };
  }

  /** Prepared statements, compiled once per connection: preparing is most of a small query's cost. */
  private readonly statements = new Map<string, Database.Statement>();
  stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.conn.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  hasWorld(): boolean {
    return this.loaded !== undefined;
  }

  world(): WorldIndex {
    if (!this.loaded) throw new Error(NO_WORLD);
    return this.loaded.world;
  }

  /** The simulated platform's secret (e-certificate signatures); it never leaves the database. */
  platformKey(): Buffer {
    if (!this.loaded) throw new Error(NO_WORLD);
    return this.loaded.key;
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE): whole or absent. */
  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      this.begin.run();
      try {
        const result = await fn(this.tx);
        this.commit.run();
        return result;
      } catch (err) {
        if (this.conn.inTransaction) this.rollback.run();
        throw err;
      }
    });
  }

  /** Runs fn on the connection between transactions (the terminal's till shares the file), outside any of them. */
  exclusive<T>(fn: () => T): Promise<T> {
    return this.queue.run(fn);
  }

  /** A read of one consistent snapshot, queued like a transaction. */
  private read<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.queue.run(async () => {
      this.beginRead.run();
      try {
        return await fn();
      } finally {
        if (this.conn.inTransaction) this.commit.run();
      }
    });
  }

  async loadWorld(raw: Record<string, unknown>, world: World, year: number, platformKey: Buffer): Promise<void> {
    await this.transaction(async (tx) => {
      if (await tx.meta('world')) throw new Error('the database already holds a world');
      const rawJson = JSON.stringify(raw);
      await tx.setMeta('world', rawJson);
      await tx.setMeta(PARSED_WORLD_KEY, parsedWorldMeta(rawJson, world));
      await tx.setMeta('platform_key', platformKey.toString('hex'));
      await tx.setMeta('world_year', String(year));
      const account = this.stmt('INSERT INTO accounts (psn_no, balc) VALUES (?, ?)');
      const counter = this.stmt(`INSERT INTO counters (psn_no, insutype, year, ${YEAR_COUNTERS.join(', ')}) VALUES (?, ?, ?, ${YEAR_COUNTERS.map(() => '?').join(', ')})`);
      const chronic = this.stmt('INSERT INTO chronic_counters (psn_no, insutype, year, opsp_dise_code, dedc_used, fund_used) VALUES (?, ?, ?, ?, ?, ?)');
      const index = new WorldIndex(world);
      for (const p of world.persons) {
        const balc = p.insuinfo.find((i) => i.insutype === '310')?.balc;
        const psnNo = p.baseinfo.psn_no;
        account.run(psnNo, balc ?? 0);
        for (const insutype of Object.keys(p.ytd ?? {})) {
          const opening = openingCounters(p, insutype);
          counter.run(psnNo, insutype, year, ...YEAR_COUNTERS.map((c) => opening.counters[c]));
          for (const [code, c] of opening.chronic) chronic.run(psnNo, insutype, year, code, c.dedc_used, c.fund_used);
        }
        for (const f of worldFilings(index, p)) await tx.insertFiling({ ...f, msgid: null, at: 'world' });
      }
    });
    this.loaded = { world: new WorldIndex(world), key: platformKey };
  }

  settlementCount(): Promise<number> {
    return this.read(() => (this.stmt('SELECT count(*) AS n FROM settlements').get() as { n: number }).n);
  }

  verifyChain(): Promise<ChainVerdict> {
    return this.read(() => {
      const head = (this.stmt("SELECT value FROM meta WHERE key = 'chain_head'").get() as { value: string } | undefined)?.value;
      const walk = chainWalker();
      for (const row of this.stmt('SELECT * FROM settlements ORDER BY seq').iterate() as Iterable<ChainedRow>) {
        const broken = walk.step(row);
        if (broken) return broken; // leaving the loop early closes the statement's cursor
      }
      return walk.end(head);
    });
  }

  /** Each record is chained as it is appended: nothing is ever left to seal. */
  async seal(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await this.queue.run(() => {
      if (this.conn.open) this.conn.close();
    });
  }
}

/** One write transaction's view of the ledger; every method runs inside the open BEGIN IMMEDIATE. */
class SqliteTx extends SqliteStayTx implements LedgerTx {
  constructor(private readonly l: SqliteLedger) {
    super();
  }

  protected stmt(sql: string): Database.Statement {
    return this.l.stmt(sql);
  }

  world(): WorldIndex {
    return this.l.world();
  }

  platformKey(): Buffer {
    return this.l.platformKey();
  }

  async meta(key: string): Promise<string | undefined> {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async nextSeq(name: string): Promise<number> {
    const row = this
      .stmt('INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value')
      .get(name) as { value: number };
    return row.value;
  }

  /** As on PostgreSQL: a new nonce, or one last claimed at least the window ago, is claimed; a fresher one is not. */
  async claimNonce(paasid: string, nonce: string, atUnixSeconds: number): Promise<boolean> {
    const claimed = this
      .stmt(
        `INSERT INTO request_nonces (paasid, nonce, at) VALUES (?, ?, ?)
         ON CONFLICT (paasid, nonce) DO UPDATE SET at = excluded.at WHERE request_nonces.at <= excluded.at - ?
         RETURNING 1 AS claimed`,
      )
      .get(paasid, nonce, atUnixSeconds, NONCE_WINDOW_SECONDS);
    return claimed !== undefined;
  }

  async ecertUsed(nonce: string): Promise<boolean> {
    return this.stmt('SELECT 1 FROM ecert_uses WHERE nonce = ?').get(nonce) !== undefined;
  }

  async recordEcertUse(u: { nonce: string; psn_no: string; token: string; fixmedins_code: string; used_at: number; token_expires_at: number }): Promise<void> {
    this
      .stmt('INSERT INTO ecert_uses (nonce, psn_no, token, fixmedins_code, used_at, token_expires_at) VALUES (@nonce, @psn_no, @token, @fixmedins_code, @used_at, @token_expires_at)')
      .run(u);
  }

  async ecertToken(token: string): Promise<{ psn_no: string; fixmedins_code: string; token_expires_at: number } | undefined> {
    return this.stmt('SELECT psn_no, fixmedins_code, token_expires_at FROM ecert_uses WHERE token = ?').get(token) as
      | { psn_no: string; fixmedins_code: string; token_expires_at: number }
      | undefined;
  }

  // --- messages ----------------------------------------------------------------------------

  async findMessage(msgid: string): Promise<StoredMessage | undefined> {
    return this.stmt('SELECT msgid, infno, fixmedins_code, request, response FROM messages WHERE msgid = ?').get(msgid) as
      | StoredMessage
      | undefined;
  }

  async saveMessage(m: StoredMessage & { at: string }): Promise<void> {
    this
      .stmt('INSERT INTO messages (msgid, infno, fixmedins_code, request, response, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(m.msgid, m.infno, m.fixmedins_code, m.request, m.response, m.at);
  }

  /** Keeps a refused request in the audit log of attempts; returns its serial number. */
  async recordAttempt(a: { msgid: string | null; infno: string | null; err_code: string; err_msg: string; at: string }): Promise<number> {
    return Number(this.stmt('INSERT INTO attempts (msgid, infno, err_code, err_msg, at) VALUES (?, ?, ?, ?, ?)').run(a.msgid, a.infno, a.err_code, a.err_msg, a.at).lastInsertRowid);
  }

  async recordSignIn(s: { sign_no: string; fixmedins_code: string; opter_no: string | null; at: string; msgid: string }): Promise<void> {
    this.stmt('INSERT INTO sign_ins (sign_no, fixmedins_code, opter_no, at, msgid) VALUES (?, ?, ?, ?, ?)').run(s.sign_no, s.fixmedins_code, s.opter_no, s.at, s.msgid);
  }

  // --- balances and counters ---------------------------------------------------------------

  async balance(psnNo: string): Promise<Fen> {
    return (this.stmt('SELECT balc FROM accounts WHERE psn_no = ?').get(psnNo) as { balc: number } | undefined)?.balc ?? 0;
  }

  async counters(psnNo: string, insutype: string, year: number): Promise<{ dedcUsed: Fen; fundUsed: Fen }> {
    const row = this.stmt('SELECT dedc_used, fund_used FROM counters WHERE psn_no = ? AND insutype = ? AND year = ?').get(psnNo, insutype, year) as
      | { dedc_used: number; fund_used: number }
      | undefined;
    return { dedcUsed: row?.dedc_used ?? 0, fundUsed: row?.fund_used ?? 0 };
  }

  // --- visits and fee lines ----------------------------------------------------------------

  async insertVisit(v: Visit): Promise<void> {
    this
      .stmt(
        `INSERT INTO visits (mdtrt_id, fixmedins_code, psn_no, insutype, med_type, cert_type, cert_no, holder_psn_no, ipt_otp_no, begntime, msgid, at,
           inpatient, state, ipt_no, endtime, dise_codg, dise_name, dscg_way, body)
         VALUES (@mdtrt_id, @fixmedins_code, @psn_no, @insutype, @med_type, @cert_type, @cert_no, @holder_psn_no, @ipt_otp_no, @begntime, @msgid, @at,
           @inpatient, @state, @ipt_no, @endtime, @dise_codg, @dise_name, @dscg_way, @body)`,
      )
      .run(stayDefaults(v));
  }

  async visit(mdtrtId: string): Promise<VisitRow | undefined> {
    return this.stmt(`${VISIT_SELECT} WHERE v.mdtrt_id = ?`).get(mdtrtId) as VisitRow | undefined;
  }

  async addVisitEvent(e: { mdtrt_id: string; kind: 'info' | 'cancel'; body: string; msgid: string; at: string }): Promise<void> {
    this.stmt('INSERT INTO visit_events (mdtrt_id, kind, body, msgid, at) VALUES (@mdtrt_id, @kind, @body, @msgid, @at)').run(e);
  }

  async insertFeeLine(l: Omit<FeeLineRow, 'id'> & { msgid: string; at: string }): Promise<number> {
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
  async feeLines(mdtrtId: string, opts: { chrgBchno?: string | null; unsettledOnly?: boolean } = {}): Promise<FeeLineRow[]> {
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

  async withdrawFeeLine(id: number, msgid: string, at: string): Promise<void> {
    this.stmt('INSERT INTO fee_line_withdrawals (fee_line_id, msgid, at) VALUES (?, ?, ?)').run(id, msgid, at);
  }

  // --- settlement records ------------------------------------------------------------------

  /**
   * Appends a settlement record and applies it: debits leave (or, negative, return to) personal
   * accounts; the deductible and fund counters of the record's year move by its amounts.
   */
  async appendSettlement(given: SettlementRecord, debits: Debit[], lines: SettledLines, funds: readonly SettlementFund[] = []): Promise<void> {
    const rec = completeRecord(given);
    const prev = (this.stmt('SELECT hash FROM settlements ORDER BY seq DESC LIMIT 1').get() as { hash: string } | undefined)?.hash ?? GENESIS_HASH;
    const values = recordValues(rec);
    const hash = chainHash(prev, values);
    this.stmt(INSERT_SETTLEMENT).run(...values, prev, hash);
    this.stmt("INSERT INTO meta (key, value) VALUES ('chain_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(hash); // so that removing the newest record shows too
    const debit = this.stmt('INSERT INTO settlement_debits (setl_id, psn_no, role, amount) VALUES (?, ?, ?, ?)');
    const move = this.stmt('UPDATE accounts SET balc = balc - ? WHERE psn_no = ?');
    for (const d of debits) {
      debit.run(rec.setl_id, d.psn_no, d.role, d.amount);
      if (move.run(d.amount, d.psn_no).changes !== 1) throw new Error(`no personal account for ${d.psn_no}`);
    }
    this.applyDeltas(rec);
    if (Array.isArray(lines)) {
      const line = this.stmt('INSERT INTO settlement_lines (setl_id, fee_line_id) VALUES (?, ?)');
      for (const id of lines) line.run(rec.setl_id, id);
    } else this.settleLines(rec.setl_id, lines);
    this.insertFunds(rec.setl_id, funds);
  }

  async settlement(setlId: string): Promise<SettlementRecord | undefined> {
    return this.stmt('SELECT * FROM settlements WHERE setl_id = ?').get(setlId) as SettlementRecord | undefined;
  }

  async settlementByMsgid(msgid: string): Promise<SettlementRecord | undefined> {
    return this.stmt('SELECT * FROM settlements WHERE msgid = ?').get(msgid) as SettlementRecord | undefined;
  }

  /** The record in force that undoes this one: a cancellation in force, or a reversal. */
  async undoneBy(setlId: string): Promise<SettlementRecord | undefined> {
    return this
      .stmt(`SELECT * FROM settlements u WHERE u.init_setl_id = ? AND (u.kind = 'reversal' OR ${IN_FORCE('u')}) ORDER BY seq LIMIT 1`)
      .get(setlId) as SettlementRecord | undefined;
  }

  async debits(setlId: string): Promise<Debit[]> {
    return this.stmt('SELECT psn_no, role, amount FROM settlement_debits WHERE setl_id = ? ORDER BY rowid').all(setlId) as Debit[];
  }

  async settlementLineIds(setlId: string): Promise<number[]> {
    return (this.stmt('SELECT fee_line_id FROM settlement_lines WHERE setl_id = ? ORDER BY fee_line_id').all(setlId) as { fee_line_id: number }[]).map(
      (r) => r.fee_line_id,
    );
  }

  /** Fee lines that are withdrawn, or held by another settlement in force. */
  async linesTakenElsewhere(ids: number[], exceptSetlId: string): Promise<number> {
    if (ids.length === 0) return 0;
    const q = this.stmt(
      `SELECT (EXISTS (SELECT 1 FROM fee_line_withdrawals w WHERE w.fee_line_id = @id)
        OR EXISTS (SELECT 1 FROM settlement_lines sl JOIN settlements s ON s.setl_id = sl.setl_id
                   WHERE sl.fee_line_id = @id AND s.setl_id <> @except AND ${IN_FORCE('s')})) AS taken`,
    );
    return ids.filter((id) => (q.get({ id, except: exceptSetlId }) as { taken: number }).taken).length;
  }

  /** Settlement records of an institution dated in [from, to], for reconciliation; reversed records and their reversals are left out. */
  async recordsForReconciliation(q: { fixmedins_code: string; from: string; to: string; setl_optins?: string | undefined }): Promise<(SettlementRecord & { in_force: 0 | 1 })[]> {
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
}
