/**
 * One PostgreSQL transaction as the platform sees it (LedgerTx): the SQLite ledger's statements,
 * plus the row and advisory locks that make READ COMMITTED safe (docs/ledger.md, "Concurrency").
 * A check that the caller makes before it writes (a balance, a year's counters, whether a visit's
 * lines are settled, whether a record is already undone) takes a lock first, in its own statement,
 * so that the read after it sees every commit made before the lock was granted and no other
 * transaction can change the answer until this one ends.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import type { WorldIndex } from '../core/world.ts';
import { completeRecord, IN_FORCE, stayDefaults, RECORD_FIELDS, type Debit, type FeeLineRow, type SettledLines, type SettlementFund, type SettlementRecord, type StoredMessage, type Visit } from './records.ts';
import { counterKey, PG_VISIT_SELECT, PgStayTx } from './pg-stay.ts';
import { LOCK } from './pg-schema.ts';
import { NONCE_WINDOW_SECONDS, type LedgerTx, type VisitRow } from './types.ts';

/** What a transaction needs from its ledger. */
export interface TxHost {
  world(): WorldIndex;
  platformKey(): Buffer;
  /** Everyone whose accounts one settlement may touch together with this person's, sorted. */
  familyOf(psnNo: string): readonly string[];
  /** Sequences known to exist (created by a committed transaction). */
  readonly knownSequences: ReadonlySet<string>;
  /** Numbers a sequence drawn at once (1: one per draw; more: the rest kept for this process's next draws). */
  readonly numberBlock: number;
  /** Numbers drawn earlier and not handed out yet, lowest first, per sequence. */
  readonly drawnNumbers: Map<string, number[]>;
}

const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils') as { prepareValue: (v: unknown) => unknown };

interface PgConnection {
  parse(q: { text: string; name: string; types: unknown[] }): void;
  bind(q: { portal: string; statement: string; values: unknown[]; valueMapper: (v: unknown) => unknown }): void;
  execute(q: { portal: string; rows: number }): void;
  parsedStatements: Record<string, string>;
}
/** A statement sent ahead of the next one waited for; `name` keeps its plan on the connection (BEGIN has none). */
type Ahead = { text: string; values: unknown[]; name?: string };

/**
 * A query sent with the statements whose answer nobody waits for (BEGIN, inserts that return
 * nothing) in front of it: one write and one Sync for all, so a transaction pays one round trip
 * where it would pay several. The server runs them in order and skips the rest after an error.
 * A named statement is parsed the first time this connection sends it and only bound after that;
 * it counts as parsed from the moment it is sent (the caller discards the connection if the batch fails).
 */
class QueryWithAhead extends (pg.Query as unknown as new (config: object) => { prepare(c: PgConnection): void; name?: string }) {
  constructor(
    config: object,
    private readonly ahead: readonly Ahead[],
  ) {
    super(config);
  }

  override prepare(connection: PgConnection): void {
    for (const a of this.ahead) {
      const name = a.name ?? '';
      if (name === '' || connection.parsedStatements[name] === undefined) {
        connection.parse({ text: a.text, name, types: [] });
        if (name !== '') connection.parsedStatements[name] = a.text;
      }
      connection.bind({ portal: '', statement: name, values: a.values, valueMapper: prepareValue });
      connection.execute({ portal: '', rows: 0 });
    }
    super.prepare(connection);
  }
}

/** Statement names for the server's plan cache, one per SQL text (the same on every connection). */
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `medpos_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** A named counter's sequence: a quoted identifier that no name can break out of. */
export function sequenceName(name: string): string {
  const safe = /^[A-Za-z0-9_]{1,40}$/.test(name) ? name : `x${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
  return `"medpos_seq_${safe}"`;
}

/**
 * A record's INSERT: $1 the chain lock's class, then its fields. The first record of a transaction
 * takes the shared chain lock in the row it inserts from, so the lock is held before its seq is drawn.
 */
const RECORD_COLUMNS = RECORD_FIELDS.map((_, i) => `$${i + 2}`).join(', ');
const INSERT_RECORD = {
  first: `INSERT INTO settlements (${RECORD_FIELDS.join(', ')}) SELECT ${RECORD_COLUMNS} FROM (SELECT pg_advisory_xact_lock_shared($1, 0)) AS chain`,
  locked: `INSERT INTO settlements (${RECORD_FIELDS.join(', ')}) SELECT ${RECORD_COLUMNS} FROM (SELECT $1::int) AS chain`,
};

/** How often (in claims) a process purges nonces older than the window. */
const NONCE_PURGE_EVERY = 500;
let nonceClaims = 0;

export class PgTx extends PgStayTx implements LedgerTx {
  /** The first database error a statement raised: the transaction is aborted from then on, whatever the caller did with it. */
  failure: unknown;
  /** Whether it appended a settlement record (to be sealed after commit). */
  appended = false;
  /** Sequences this transaction created (known once it commits). */
  readonly createdSequences: string[] = [];
  /** Claim time below which nonces may be purged after commit. */
  purgeNoncesBefore: number | undefined;
  /** Set when the transaction has ended: a LedgerTx kept past its transaction must not run statements on a pooled connection. */
  ended = false;
  /** A session-level lock is held: the connection must not go back to the pool. */
  holdsSessionLock = false;
  /** The connection's statement cache may be wrong: it must not go back to the pool. */
  discard = false;
  /** The transaction's first round trip (the one carrying BEGIN) failed. */
  firstTripFailed = false;
  private readonly ahead: Ahead[] = [];
  private roundTrips = 0;
  private readonly lockedPersons = new Set<string>();
  /** The locked persons that have an account row (locked rows cannot go away before this transaction ends). */
  private readonly lockedAccounts = new Set<string>();
  private readonly lockedVisits = new Set<string>();
  private readonly lockedUndo = new Set<string>();
  private chainLocked = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly host: TxHost,
  ) {
    super();
  }

  async rows<R>(text: string, values: unknown[] = [], prepare = true): Promise<R[]> {
    if (this.ended) throw new Error('this ledger transaction has already ended');
    if (this.ahead.length === 0) {
      try {
        return (await this.client.query<R & pg.QueryResultRow>(prepare ? { name: statementName(text), text, values } : { text, values })).rows;
      } catch (err) {
        this.failure ??= err;
        throw err;
      }
    }
    const ahead = this.ahead.splice(0);
    this.roundTrips++;
    const name = prepare ? statementName(text) : undefined;
    const connection = (this.client as unknown as { connection: PgConnection }).connection;
    const unparsed = (n: string | undefined) => n !== undefined && connection.parsedStatements[n] === undefined;
    const parsing = unparsed(name) || ahead.some((a) => unparsed(a.name));
    try {
      const results = await new Promise<pg.QueryResult[] | pg.QueryResult>((resolve, reject) => {
        this.client.query(new QueryWithAhead({ name, text, values, queryMode: 'extended', callback: (err: Error | null, r: pg.QueryResult[] | pg.QueryResult) => (err ? reject(err) : resolve(r)) }, ahead) as unknown as pg.Submittable);
      });
      return (Array.isArray(results) ? results.at(-1)! : results).rows as R[];
    } catch (err) {
      this.failure ??= err;
      // a statement first parsed in a failed batch may not exist on the server (and pg marks the waited-for
      // one parsed at the batch's first ParseComplete, which may be another's): the connection's cache is unsure
      if (parsing) this.discard = true;
      if (this.roundTrips === 1) this.firstTripFailed = true;
      throw err;
    }
  }

  /**
   * Sends a statement whose answer nobody waits for with the next one that is waited for (an error shows
   * there). It must answer no rows: no Describe is sent for it, and pg cannot read rows it was not told of.
   */
  defer(text: string, values: unknown[] = [], prepare = true): void {
    if (this.ended) throw new Error('this ledger transaction has already ended');
    this.ahead.push({ text, values, name: prepare ? statementName(text) : undefined });
  }

  /** COMMIT, with whatever was deferred in front of it. */
  async commit(): Promise<void> {
    await this.rows('COMMIT', [], false);
  }

  private async one<R>(text: string, values: unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
  }

  world(): WorldIndex {
    return this.host.world();
  }

  platformKey(): Buffer {
    return this.host.platformKey();
  }

  async advisoryLock(kind: number, key = 0): Promise<void> {
    await this.rows('SELECT pg_advisory_xact_lock($1, $2)', [kind, key]);
  }

  /**
   * The chain barrier: takes the chain lock exclusively (granted once no appender is in flight),
   * reads the highest seq then committed, and lets the lock go in that same statement (its snapshot
   * was taken while the lock was held). Every seq up to it is final: committed or rolled back.
   * The lock is a session lock, so that it can end before this transaction does; if the statement
   * that lets it go fails, the connection is discarded, which ends it too.
   */
  async settledSeq(): Promise<number> {
    await this.rows('SELECT pg_advisory_lock($1, 0)', [LOCK.chain]);
    this.holdsSessionLock = true;
    const row = await this.one<{ m: number | null }>('SELECT (SELECT max(seq) FROM settlements) AS m, pg_advisory_unlock($1, 0)', [LOCK.chain]);
    this.holdsSessionLock = false;
    return row?.m ?? 0;
  }

  async meta(key: string): Promise<string | undefined> {
    return (await this.one<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.rows('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /**
   * A sequence per name: numbers never wait for another transaction's commit (a rolled-back one
   * leaves a gap). With a number block above 1 (a server), one round trip draws that many and the
   * process hands them out in order; only from a sequence already committed, since a sequence
   * created by a transaction that rolls back goes with it and would give the same numbers again.
   */
  async nextSeq(name: string): Promise<number> {
    const seq = sequenceName(name);
    const kept = this.host.drawnNumbers.get(seq);
    if (kept && kept.length > 0) return kept.shift()!;
    const known = this.host.knownSequences.has(seq);
    if (!known && !this.createdSequences.includes(seq)) {
      await this.rows(`CREATE SEQUENCE IF NOT EXISTS ${seq}`, [], false);
      this.createdSequences.push(seq);
    }
    if (!known || this.host.numberBlock <= 1) return (await this.one<{ value: number }>('SELECT nextval($1::regclass) AS value', [seq]))!.value;
    const drawn = (await this.rows<{ value: number }>('SELECT nextval($1::regclass) AS value FROM generate_series(1, $2)', [seq, this.host.numberBlock])).map((r) => r.value).sort((a, b) => a - b);
    const first = drawn.shift()!;
    this.host.drawnNumbers.set(seq, [...(this.host.drawnNumbers.get(seq) ?? []), ...drawn].sort((a, b) => a - b));
    return first;
  }

  // --- messages ----------------------------------------------------------------------------

  async findMessage(msgid: string): Promise<StoredMessage | undefined> {
    return this.one<StoredMessage>('SELECT msgid, infno, fixmedins_code, request, response FROM messages WHERE msgid = $1', [msgid]);
  }

  /** A msgid saved by a concurrent transaction makes this insert wait for it, then fail as a unique violation: the transaction retries and finds the stored message. */
  async saveMessage(m: StoredMessage & { at: string }): Promise<void> {
    this.defer('INSERT INTO messages (msgid, infno, fixmedins_code, request, response, at) VALUES ($1, $2, $3, $4, $5, $6)', [
      m.msgid, m.infno, m.fixmedins_code, m.request, m.response, m.at,
    ]);
  }

  async recordAttempt(a: { msgid: string | null; infno: string | null; err_code: string; err_msg: string; at: string }): Promise<number> {
    return (await this.one<{ id: number }>('INSERT INTO attempts (msgid, infno, err_code, err_msg, at) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
      a.msgid, a.infno, a.err_code, a.err_msg, a.at,
    ]))!.id;
  }

  async recordSignIn(s: { sign_no: string; fixmedins_code: string; opter_no: string | null; at: string; msgid: string }): Promise<void> {
    await this.rows('INSERT INTO sign_ins (sign_no, fixmedins_code, opter_no, at, msgid) VALUES ($1, $2, $3, $4, $5)', [s.sign_no, s.fixmedins_code, s.opter_no, s.at, s.msgid]);
  }

  /**
   * One statement: a new nonce is inserted; a nonce claimed at least the window ago is claimed
   * again; a fresher one is left alone and nothing is returned. A concurrent claim of the same nonce
   * waits for the first one's transaction, then sees its row.
   */
  async claimNonce(paasid: string, nonce: string, atUnixSeconds: number): Promise<boolean> {
    const claimed = await this.rows(
      `INSERT INTO request_nonces (paasid, nonce, at) VALUES ($1, $2, $3)
       ON CONFLICT (paasid, nonce) DO UPDATE SET at = excluded.at WHERE request_nonces.at <= excluded.at - $4
       RETURNING 1 AS claimed`,
      [paasid, nonce, atUnixSeconds, NONCE_WINDOW_SECONDS],
    );
    if (++nonceClaims % NONCE_PURGE_EVERY === 0) this.purgeNoncesBefore = atUnixSeconds - NONCE_WINDOW_SECONDS;
    return claimed.length === 1;
  }

  // --- e-certificates ----------------------------------------------------------------------

  async ecertUsed(nonce: string): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM ecert_uses WHERE nonce = $1', [nonce])).length > 0;
  }

  async recordEcertUse(u: { nonce: string; psn_no: string; token: string; fixmedins_code: string; used_at: number; token_expires_at: number }): Promise<void> {
    await this.rows('INSERT INTO ecert_uses (nonce, psn_no, token, fixmedins_code, used_at, token_expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      u.nonce, u.psn_no, u.token, u.fixmedins_code, u.used_at, u.token_expires_at,
    ]);
  }

  async ecertToken(token: string): Promise<{ psn_no: string; fixmedins_code: string; token_expires_at: number } | undefined> {
    return this.one('SELECT psn_no, fixmedins_code, token_expires_at FROM ecert_uses WHERE token = $1', [token]);
  }

  // --- balances and counters ---------------------------------------------------------------

  /**
   * Locks the accounts of the person's whole family, sorted, the first time the transaction
   * touches any of them: every settlement of one family then queues on the same first lock, so the
   * balances and counters it reads stay true until it commits, and two of them never deadlock.
   * Returns the balances it locked (the latest committed).
   */
  protected async lockFamily(psnNo: string): Promise<Map<string, number> | undefined> {
    if (this.lockedPersons.has(psnNo)) return undefined;
    const family = this.host.familyOf(psnNo);
    // a family of one (most persons) by equality: PostgreSQL keeps one plan for it, where it plans ANY($1) afresh each time
    const rows = await this.rows<{ psn_no: string; balc: number }>(
      family.length === 1 ? 'SELECT psn_no, balc FROM accounts WHERE psn_no = $1 FOR NO KEY UPDATE' : 'SELECT psn_no, balc FROM accounts WHERE psn_no = ANY($1::text[]) ORDER BY psn_no FOR NO KEY UPDATE',
      [family.length === 1 ? family[0] : family],
    );
    for (const p of family) this.lockedPersons.add(p);
    for (const r of rows) this.lockedAccounts.add(r.psn_no);
    return new Map(rows.map((r) => [r.psn_no, r.balc]));
  }

  async balance(psnNo: string): Promise<number> {
    const locked = await this.lockFamily(psnNo);
    if (locked) return locked.get(psnNo) ?? 0;
    return (await this.one<{ balc: number }>('SELECT balc FROM accounts WHERE psn_no = $1', [psnNo]))?.balc ?? 0;
  }

  async counters(psnNo: string, insutype: string, year: number): Promise<{ dedcUsed: number; fundUsed: number }> {
    await this.lockFamily(psnNo);
    const row = await this.one<{ dedc_used: number; fund_used: number }>(
      'SELECT dedc_used, fund_used FROM counters WHERE psn_no = $1 AND insutype = $2 AND year = $3',
      [psnNo, insutype, year],
    );
    this.counterRows.set(counterKey(psnNo, insutype, year), row !== undefined);
    return { dedcUsed: row?.dedc_used ?? 0, fundUsed: row?.fund_used ?? 0 };
  }

  // --- visits and fee lines ----------------------------------------------------------------

  /** Locks visits (sorted) so that what is read of their lines stays true until commit. */
  protected async lockVisits(mdtrtIds: readonly string[]): Promise<void> {
    const todo = [...new Set(mdtrtIds)].filter((id) => !this.lockedVisits.has(id));
    if (todo.length === 0) return;
    await this.rows('SELECT 1 FROM visits WHERE mdtrt_id = ANY($1::text[]) ORDER BY mdtrt_id FOR NO KEY UPDATE', [todo]);
    for (const id of todo) this.lockedVisits.add(id);
  }

  async insertVisit(v: Visit): Promise<void> {
    const s = stayDefaults(v);
    this.defer(
      `INSERT INTO visits (mdtrt_id, fixmedins_code, psn_no, insutype, med_type, cert_type, cert_no, holder_psn_no, ipt_otp_no, begntime, msgid, at,
         inpatient, state, ipt_no, endtime, dise_codg, dise_name, dscg_way, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
      [v.mdtrt_id, v.fixmedins_code, v.psn_no, v.insutype, v.med_type, v.cert_type, v.cert_no, v.holder_psn_no, v.ipt_otp_no, v.begntime, v.msgid, v.at,
        s.inpatient, s.state, s.ipt_no, s.endtime, s.dise_codg, s.dise_name, s.dscg_way, s.body],
    );
    this.lockedVisits.add(v.mdtrt_id); // invisible to others until this commits
  }

  async visit(mdtrtId: string): Promise<VisitRow | undefined> {
    await this.lockVisits([mdtrtId]);
    return this.one<VisitRow>(`${PG_VISIT_SELECT} WHERE v.mdtrt_id = $1`, [mdtrtId]);
  }

  async addVisitEvent(e: { mdtrt_id: string; kind: 'info' | 'cancel'; body: string; msgid: string; at: string }): Promise<void> {
    await this.rows('INSERT INTO visit_events (mdtrt_id, kind, body, msgid, at) VALUES ($1, $2, $3, $4, $5)', [e.mdtrt_id, e.kind, e.body, e.msgid, e.at]);
  }

  async insertFeeLine(l: Omit<FeeLineRow, 'id'> & { msgid: string; at: string }): Promise<number> {
    return (await this.one<{ id: number }>(
      `INSERT INTO fee_lines (mdtrt_id, feedetl_sn, chrg_bchno, med_list_codg, pric_e4, cnt_e4, amount, hosp_appr_flag, body, msgid, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [l.mdtrt_id, l.feedetl_sn, l.chrg_bchno, l.med_list_codg, l.pric_e4, l.cnt_e4, l.amount, l.hosp_appr_flag, l.body, l.msgid, l.at],
    ))!.id;
  }

  async feeLines(mdtrtId: string, opts: { chrgBchno?: string | null; unsettledOnly?: boolean } = {}): Promise<FeeLineRow[]> {
    await this.lockVisits([mdtrtId]);
    const batch = opts.chrgBchno && opts.chrgBchno !== '0000' ? opts.chrgBchno : null;
    return this.rows<FeeLineRow>(
      `SELECT f.id, f.mdtrt_id, f.feedetl_sn, f.chrg_bchno, f.med_list_codg, f.pric_e4, f.cnt_e4, f.amount, f.hosp_appr_flag, f.body
       FROM fee_lines f
       WHERE f.mdtrt_id = $1 AND ($2::text IS NULL OR f.chrg_bchno = $2)
         AND NOT EXISTS (SELECT 1 FROM fee_line_withdrawals w WHERE w.fee_line_id = f.id)
         AND ($3::int = 0 OR NOT EXISTS (
           SELECT 1 FROM settlement_lines sl JOIN settlements s ON s.setl_id = sl.setl_id
           WHERE sl.fee_line_id = f.id AND ${IN_FORCE('s')}))
       ORDER BY f.id`,
      [mdtrtId, batch, opts.unsettledOnly ? 1 : 0],
    );
  }

  async withdrawFeeLine(id: number, msgid: string, at: string): Promise<void> {
    await this.rows('INSERT INTO fee_line_withdrawals (fee_line_id, msgid, at) VALUES ($1, $2, $3)', [id, msgid, at]);
  }

  // --- settlement records ------------------------------------------------------------------

  /**
   * Appends a settlement record, unsealed, and applies it as the SQLite ledger does. The shared
   * chain lock, held to commit, is what lets the sealer know when no lower seq can still appear.
   * The record, its debits, the balances they move and its fee lines are short statements sent with
   * the transaction's next round trip (its COMMIT, for a sale): the accounts it debits were locked
   * (and found) first, so none of them needs an answer. Short statements, not one CTE: PostgreSQL
   * plans them in microseconds, where it planned the CTE afresh each time (0.4 ms).
   */
  async appendSettlement(given: SettlementRecord, debits: Debit[], lines: SettledLines, funds: readonly SettlementFund[] = []): Promise<void> {
    const rec = completeRecord(given);
    await this.lockFamily(rec.psn_no);
    for (const d of debits) await this.lockFamily(d.psn_no);
    const missing = debits.filter((d) => !this.lockedAccounts.has(d.psn_no)).map((d) => d.psn_no);
    if (missing.length > 0) throw new Error(`no personal account for ${[...new Set(missing)].join(', ')}`);
    this.defer(this.chainLocked ? INSERT_RECORD.locked : INSERT_RECORD.first, [LOCK.chain, ...RECORD_FIELDS.map((k) => rec[k])]);
    const moved = new Map<string, number>();
    for (const d of debits) {
      this.defer('INSERT INTO settlement_debits (setl_id, psn_no, role, amount) VALUES ($1, $2, $3, $4)', [rec.setl_id, d.psn_no, d.role, d.amount]);
      moved.set(d.psn_no, (moved.get(d.psn_no) ?? 0) + d.amount);
    }
    for (const [psnNo, amount] of moved) this.defer('UPDATE accounts SET balc = balc - $1 WHERE psn_no = $2', [amount, psnNo]);
    if (Array.isArray(lines) && lines.length > 0) {
      this.defer('INSERT INTO settlement_lines (setl_id, fee_line_id) SELECT $1, unnest($2::bigint[])', [rec.setl_id, lines]);
    }
    this.chainLocked = true;
    this.appended = true;
    await this.applyDeltas(rec);
    if (!Array.isArray(lines)) await this.settleLines(rec.setl_id, lines);
    await this.insertFunds(rec.setl_id, funds);
  }

  async settlement(setlId: string): Promise<SettlementRecord | undefined> {
    return this.one<SettlementRecord>('SELECT * FROM settlements WHERE setl_id = $1', [setlId]);
  }

  async settlementByMsgid(msgid: string): Promise<SettlementRecord | undefined> {
    return this.one<SettlementRecord>('SELECT * FROM settlements WHERE msgid = $1 ORDER BY seq LIMIT 1', [msgid]);
  }

  /** Locks the question "is this record undone?" first, so that two cancellations of one record cannot both see "no". */
  async undoneBy(setlId: string): Promise<SettlementRecord | undefined> {
    if (!this.lockedUndo.has(setlId)) {
      await this.rows('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.undo, setlId]);
      this.lockedUndo.add(setlId);
    }
    return this.one<SettlementRecord>(`SELECT * FROM settlements u WHERE u.init_setl_id = $1 AND (u.kind = 'reversal' OR ${IN_FORCE('u')}) ORDER BY seq LIMIT 1`, [setlId]);
  }

  async debits(setlId: string): Promise<Debit[]> {
    return this.rows<Debit>('SELECT psn_no, role, amount FROM settlement_debits WHERE setl_id = $1 ORDER BY id', [setlId]);
  }

  async settlementLineIds(setlId: string): Promise<number[]> {
    return (await this.rows<{ fee_line_id: number }>('SELECT fee_line_id FROM settlement_lines WHERE setl_id = $1 ORDER BY fee_line_id', [setlId])).map((r) => r.fee_line_id);
  }

  /** Fee lines that are withdrawn, or held by another settlement in force; their visits are locked first, as a settlement of them locks them. */
  async linesTakenElsewhere(ids: number[], exceptSetlId: string): Promise<number> {
    if (ids.length === 0) return 0;
    const visits = await this.rows<{ mdtrt_id: string }>('SELECT DISTINCT mdtrt_id FROM fee_lines WHERE id = ANY($1::bigint[])', [ids]);
    await this.lockVisits(visits.map((v) => v.mdtrt_id));
    return (await this.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM unnest($1::bigint[]) AS t(id)
       WHERE EXISTS (SELECT 1 FROM fee_line_withdrawals w WHERE w.fee_line_id = t.id)
          OR EXISTS (SELECT 1 FROM settlement_lines sl JOIN settlements s ON s.setl_id = sl.setl_id
                     WHERE sl.fee_line_id = t.id AND s.setl_id <> $2 AND ${IN_FORCE('s')})`,
      [ids, exceptSetlId],
    ))!.n;
  }

  async recordsForReconciliation(q: { fixmedins_code: string; from: string; to: string; setl_optins?: string | undefined }): Promise<(SettlementRecord & { in_force: 0 | 1 })[]> {
    return this.rows(
      `SELECT s.*, ${IN_FORCE('s')}::int AS in_force FROM settlements s
       WHERE s.fixmedins_code = $1 AND s.setl_date BETWEEN $2 AND $3 AND s.kind <> 'reversal'
         AND NOT EXISTS (SELECT 1 FROM settlements r WHERE r.kind = 'reversal' AND r.init_setl_id = s.setl_id)
         AND ($4::text IS NULL OR s.clr_optins = $4)
       ORDER BY s.seq`,
      [q.fixmedins_code, q.from, q.to, q.setl_optins ?? null],
    );
  }
}
