/**
 * The ledger on PostgreSQL: the same tables, constraints and answers as the SQLite ledger, for many
 * processes on many machines sharing one database. docs/ledger.md says how it stays correct under
 * concurrency (READ COMMITTED, a lock before every check the caller acts on, retries of
 * serialization failures, deadlocks and unique violations inside `transaction`) and how the hash
 * chain is sealed shortly after commit instead of inside every settlement's transaction.
 *
 * It needs only a role that owns the database the URL names: no superuser, no extension.
 */
import pg from 'pg';
import { parseWorld, WorldIndex, type World } from '../core/world.ts';
import { PARSED_WORLD_KEY, parsedWorldMeta, worldFromMeta } from './stored-world.ts';
import { log } from '../log.ts';
import { GENESIS_HASH, recordHash, type SettlementRecord } from './records.ts';
import { createOrCheckSchema, LOCK } from './pg-schema.ts';
import { PgTx, type TxHost } from './pg-tx.ts';
import { worldFilings } from '../core/chronic.ts';
import { openingCounters, YEAR_COUNTERS } from '../core/counters.ts';
import { LedgerUnavailable, type ChainVerdict, type LedgerStore, type LedgerTx } from './types.ts';

/** Attempts of one transaction before a serialization failure, deadlock or unique violation reaches the caller. */
const MAX_ATTEMPTS = 12;
/** A server's records are sealed this long after the commit that appended them (the bound is one second). */
const SEAL_AFTER_MS = 500;
/** Rows per page when walking the chain. */
const VERIFY_PAGE = 2000;

const INT8_OID = 20;
/** BIGINT columns (fen, ids, counts) come back as numbers, as they do from SQLite; none may pass 2^53. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`the integer ${text} is beyond what medpos handles`);
  return n;
}
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

type PgError = Error & { code?: string };

/** Another transaction got there first: running the whole transaction again sees what it did. */
function retryable(err: unknown): boolean {
  const code = (err as PgError | undefined)?.code;
  return code === '40001' || code === '40P01' || code === '23505';
}

const UNREACHABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
/** The server is down, restarting or unreachable, or the connection broke. */
function unreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as PgError).code ?? '';
  return UNREACHABLE_CODES.has(code) || code.startsWith('08') || /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed/i.test(err.message);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Full jitter over a doubling ceiling, so that transactions that collided do not collide again in step. */
const backoffMs = (attempt: number) => Math.random() * Math.min(100, 2 ** attempt);

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1@');
  }
}

/** Persons linked by family bonds (either way), as sorted groups: the accounts one settlement may touch together. */
function familyGroups(world: WorldIndex): Map<string, readonly string[]> {
  const parent = new Map<string, string>();
  const find = (p: string): string => {
    let root = p;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(p, root);
    return root;
  };
  for (const p of world.data.persons) {
    parent.set(p.baseinfo.psn_no, find(p.baseinfo.psn_no));
    for (const f of p.family ?? []) {
      const a = find(p.baseinfo.psn_no);
      const b = find(f.psn_no);
      if (a !== b) parent.set(a, b);
    }
  }
  const groups = new Map<string, string[]>();
  for (const p of parent.keys()) {
    const root = find(p);
    groups.set(root, [...(groups.get(root) ?? []), p]);
  }
  const byPerson = new Map<string, readonly string[]>();
  for (const members of groups.values()) {
    members.sort();
    for (const m of members) byPerson.set(m, members);
  }
  return byPerson;
}

class PgLedger implements LedgerStore, TxHost {
  readonly engine = 'postgres' as const;
  readonly knownSequences = new Set<string>();
  readonly drawnNumbers = new Map<string, number[]>();
  private cachedWorld: WorldIndex | undefined;
  private families = new Map<string, readonly string[]>();
  private key: Buffer | undefined;
  /** Records appended by this process and not yet sealed. */
  private unsealed = false;
  private sealTimer: NodeJS.Timeout | undefined;
  private sealQueue: Promise<unknown> = Promise.resolve();
  private readonly background = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    readonly numberBlock: number,
  ) {}

  adopt(worldJson: string | undefined, keyHex: string | undefined, parsedWorld?: string): void {
    if (worldJson !== undefined) {
      this.cachedWorld = new WorldIndex(worldFromMeta(worldJson, parsedWorld));
      this.families = familyGroups(this.cachedWorld);
    }
    if (keyHex) this.key = Buffer.from(keyHex, 'hex');
  }

  hasWorld(): boolean {
    return this.cachedWorld !== undefined;
  }

  world(): WorldIndex {
    if (!this.cachedWorld) throw new Error('the database has no world: run `medpos init --db URL --world DIR` first');
    return this.cachedWorld;
  }

  platformKey(): Buffer {
    if (!this.key) throw new Error('the database has no platform key: run `medpos init` again');
    return this.key;
  }

  familyOf(psnNo: string): readonly string[] {
    return this.families.get(psnNo) ?? [psnNo];
  }

  async connect(): Promise<pg.PoolClient> {
    if (this.closed) throw new Error(`the ledger at ${this.location} is closed`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.unavailable(err);
    }
    // A connection that breaks between queries (server shutdown) says so as an 'error' event; the
    // next query fails too and is handled there, but the event unheard would end the process.
    const onError = (err: Error) => log.debug({ err: err.message }, 'a PostgreSQL connection in use failed');
    client.on('error', onError);
    const release = client.release.bind(client);
    client.release = (destroy?: boolean | Error) => {
      client.off('error', onError);
      client.release = release;
      release(destroy);
    };
    return client;
  }

  private unavailable(err: unknown): unknown {
    return unreachable(err) ? new LedgerUnavailable(`the PostgreSQL ledger at ${this.location} is unavailable: ${(err as Error).message}`, { cause: err }) : err;
  }

  /**
   * READ COMMITTED, one connection, whole or absent. A transaction that lost a race (serialization
   * failure, deadlock, a unique key taken by a concurrent commit, typically the msgid) is rolled
   * back and run again from the start after a short random pause, so that it sees what won.
   */
  async transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  private async run<T>(fn: (tx: PgTx) => Promise<T>, begin = 'BEGIN ISOLATION LEVEL READ COMMITTED'): Promise<T> {
    let staleConnections = 0;
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      const tx = new PgTx(client, this);
      let broken = false;
      try {
        tx.defer(begin, [], false); // sent with the transaction's first statement
        const result = await fn(tx);
        // a database error the caller caught and went on from has aborted the transaction: COMMIT would only roll it back
        if (tx.failure) throw tx.failure;
        await tx.commit();
        tx.ended = true;
        this.committed(tx);
        return result;
      } catch (err) {
        tx.ended = true;
        const cause = tx.failure !== undefined && retryable(tx.failure) ? tx.failure : err;
        broken = unreachable(cause);
        // an idle connection that died with a restarted server, found by the first round trip: nothing was applied, so another connection may try
        if (broken && tx.firstTripFailed && ++staleConnections <= this.pool.options.max) {
          attempt--;
          continue;
        }
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        if (retryable(cause) && attempt < MAX_ATTEMPTS) {
          log.debug({ code: (cause as PgError).code, attempt }, 'ledger transaction lost a race; running it again');
          await sleep(backoffMs(attempt));
          continue;
        }
        throw this.unavailable(cause === err ? err : cause);
      } finally {
        client.release(broken || tx.holdsSessionLock || tx.discard || undefined);
      }
    }
  }

  private committed(tx: PgTx): void {
    for (const s of tx.createdSequences) this.knownSequences.add(s);
    if (tx.appended) {
      this.unsealed = true;
      this.scheduleSeal(SEAL_AFTER_MS);
    }
    if (tx.purgeNoncesBefore !== undefined) {
      const before = tx.purgeNoncesBefore;
      this.track(this.pool.query('DELETE FROM request_nonces WHERE at < $1', [before]).catch((err) => log.warn({ err: (err as Error).message }, 'could not purge old request nonces')));
    }
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private scheduleSeal(ms: number): void {
    if (this.sealTimer || this.closed) return;
    this.sealTimer = setTimeout(() => {
      this.sealTimer = undefined;
      this.track(
        this.seal().catch((err) => {
          log.warn({ err: (err as Error).message }, 'could not seal settlement records; trying again');
          this.unsealed = true;
          this.scheduleSeal(1000);
        }),
      );
    }, ms);
    this.sealTimer.unref();
  }

  async loadWorld(raw: Record<string, unknown>, _world: World, year: number, platformKey: Buffer): Promise<void> {
    const worldJson = JSON.stringify(raw);
    const parsed = parseWorld(JSON.parse(worldJson));
    const world = new WorldIndex(parsed);
    await this.run(async (tx) => {
      await tx.advisoryLock(LOCK.schema);
      if ((await tx.meta('world')) !== undefined) throw new Error('the database already holds a world');
      await tx.setMeta('world', worldJson);
      await tx.setMeta(PARSED_WORLD_KEY, parsedWorldMeta(worldJson, parsed));
      await tx.setMeta('platform_key', platformKey.toString('hex'));
      await tx.setMeta('world_year', String(year));
      const persons = world.data.persons;
      await tx.rows('INSERT INTO accounts (psn_no, balc) SELECT * FROM unnest($1::text[], $2::bigint[])', [
        persons.map((p) => p.baseinfo.psn_no),
        persons.map((p) => p.insuinfo.find((i) => i.insutype === '310')?.balc ?? 0),
      ]);
      const opening = persons.flatMap((p) => Object.keys(p.ytd ?? {}).map((insutype) => ({ psn_no: p.baseinfo.psn_no, insutype, ...openingCounters(p, insutype) })));
      await tx.rows(
        `INSERT INTO counters (psn_no, insutype, year, ${YEAR_COUNTERS.join(', ')})
         SELECT c.psn_no, c.insutype, $1, ${YEAR_COUNTERS.map((n) => `c.${n}`).join(', ')}
         FROM unnest($2::text[], $3::text[], ${YEAR_COUNTERS.map((_, i) => `$${i + 4}::bigint[]`).join(', ')}) AS c(psn_no, insutype, ${YEAR_COUNTERS.join(', ')})`,
        [year, opening.map((o) => o.psn_no), opening.map((o) => o.insutype), ...YEAR_COUNTERS.map((n) => opening.map((o) => o.counters[n]))],
      );
      const chronic = opening.flatMap((o) => [...o.chronic].map(([code, c]) => [o.psn_no, o.insutype, code, c.dedc_used, c.fund_used] as const));
      await tx.rows(
        'INSERT INTO chronic_counters (psn_no, insutype, year, opsp_dise_code, dedc_used, fund_used) SELECT c.p, c.t, $1, c.code, c.d, c.f FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS c(p, t, code, d, f)',
        [year, ...[0, 1, 2, 3, 4].map((i) => chronic.map((c) => c[i]))],
      );
      for (const p of persons) for (const f of worldFilings(world, p)) await tx.insertFiling({ ...f, msgid: null, at: 'world' });
    });
    this.adopt(worldJson, platformKey.toString('hex'));
  }

  async settlementCount(): Promise<number> {
    try {
      return (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM settlements')).rows[0]!.n;
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** One seal at a time per process; each seals every record committed before it took the chain lock. */
  seal(): Promise<number> {
    const next = this.sealQueue.then(() => this.sealOnce());
    this.sealQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * Chains every committed unsealed record, in seq order, from the sealed end, into
   * `settlement_chain`. One sealer at a time (the seal lock, which appenders never take). The chain
   * lock is taken exclusively only for an instant (tx.settledSeq): once granted, every transaction
   * that held it shared (every one that had drawn a seq and not yet ended) has committed or rolled
   * back, so every record up to the highest seq then visible is final; the records are read after
   * the lock is let go, and appenders wait only for that instant, not for the seal's commit.
   */
  private async sealOnce(): Promise<number> {
    this.unsealed = false;
    const pending = await this.pool.query<{ p: boolean }>(
      "SELECT coalesce((SELECT max(seq) FROM settlements) > coalesce((SELECT value::bigint FROM meta WHERE key = 'chain_seq'), 0), false) AS p",
    ).catch((err) => {
      throw this.unavailable(err);
    });
    if (!pending.rows[0]!.p) return 0;
    return this.run(async (tx) => {
      await tx.advisoryLock(LOCK.seal);
      const head = new Map((await tx.rows<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('chain_head', 'chain_seq')")).map((r) => [r.key, r.value]));
      const from = Number(head.get('chain_seq') ?? 0);
      const upTo = await tx.settledSeq();
      if (upTo <= from) return 0;
      let prev = head.get('chain_head') ?? GENESIS_HASH;
      const rows = await tx.rows<SettlementRecord & { seq: number }>('SELECT * FROM settlements WHERE seq > $1 AND seq <= $2 ORDER BY seq', [from, upTo]);
      if (rows.length === 0) return 0;
      const prevs: string[] = [];
      const hashes: string[] = [];
      for (const row of rows) {
        prevs.push(prev);
        prev = recordHash(prev, row);
        hashes.push(prev);
      }
      await tx.rows('INSERT INTO settlement_chain (seq, prev_hash, hash) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])', [rows.map((r) => r.seq), prevs, hashes]);
      await tx.rows("INSERT INTO meta (key, value) VALUES ('chain_head', $1), ('chain_seq', $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [prev, String(rows[rows.length - 1]!.seq)]);
      return rows.length;
    });
  }

  /**
   * Seals, then walks the chain in one snapshot: the first record that was changed, deleted, moved
   * or unsealed breaks it there. Records committed after the seal (not yet sealed) end the walk.
   */
  async verifyChain(): Promise<ChainVerdict> {
    await this.seal();
    return this.run(async (tx) => {
      const head = new Map((await tx.rows<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('chain_head', 'chain_seq')")).map((r) => [r.key, r.value]));
      const headSeq = Number(head.get('chain_seq') ?? 0);
      let prev = GENESIS_HASH;
      let n = 0;
      let after = -1;
      let tail = false;
      for (;;) {
        const page = await tx.rows<SettlementRecord & { seq: number; prev_hash: string | null; hash: string | null }>(
          'SELECT s.*, c.prev_hash, c.hash FROM settlements s LEFT JOIN settlement_chain c ON c.seq = s.seq WHERE s.seq > $1 ORDER BY s.seq LIMIT $2',
          [after, VERIFY_PAGE],
        );
        for (const row of page) {
          after = row.seq;
          const at = { records: n + 1, seq: row.seq, setl_id: row.setl_id };
          if (row.hash === null && row.seq > headSeq) {
            tail = true; // committed after the seal: the next one takes it
            continue;
          }
          n++;
          if (row.hash === null) return { ok: false, ...at, problem: 'the record was changed' };
          if (tail || row.prev_hash !== prev) return { ok: false, ...at, problem: 'the record before it was deleted, or records were reordered' };
          if (recordHash(prev, row) !== row.hash) return { ok: false, ...at, problem: 'the record was changed' };
          prev = row.hash;
        }
        if (page.length < VERIFY_PAGE) break;
      }
      if ((head.get('chain_head') ?? GENESIS_HASH) !== prev) return { ok: false, records: n, seq: null, setl_id: null, problem: 'the newest record(s) were deleted' };
      return { ok: true, records: n };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  /** Seals what this process appended, waits for its background work, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    try {
      // what was written is committed: a seal that fails now is made by the next one, by any process
      if (this.unsealed) await this.seal().catch((err) => log.warn({ err: (err as Error).message }, 'could not seal settlement records before closing; the next seal will'));
      await Promise.allSettled([...this.background]);
    } finally {
      this.closed = true;
      await this.pool.end();
    }
  }
}

export interface PgLedgerOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * Numbers a named sequence (setl_id, mdtrt_id, inf_refmsgid ...) gives per round trip (default 1,
   * so one-shot commands number as SQLite does); a server uses more and saves a round trip per id.
   */
  numberBlock?: number;
}

/**
 * Opens the ledger in the database a postgres:// or postgresql:// URL names: creates the schema in
 * an empty database, refuses one made for another schema, and reads the world if it holds one.
 */
export async function openPgLedger(url: string, opts: PgLedgerOptions = {}): Promise<LedgerStore> {
  const location = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types: typeParsers,
    application_name: 'medpos',
    connectionTimeoutMillis: 10_000,
    // a caller that stops mid-transaction must not hold its locks for ever
    idle_in_transaction_session_timeout: 60_000,
  });
  // an idle connection that breaks (server restart) is dropped from the pool; without a listener it would end the process
  pool.on('error', (err) => log.warn({ err: err.message }, 'an idle PostgreSQL connection failed; the pool replaces it'));
  const ledger = new PgLedger(pool, location, opts.numberBlock ?? 1);
  try {
    const client = await ledger.connect();
    try {
      await createOrCheckSchema(client, location);
      const meta = new Map((await client.query<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('world', 'platform_key', $1)", [PARSED_WORLD_KEY])).rows.map((r) => [r.key, r.value]));
      ledger.adopt(meta.get('world'), meta.get('platform_key'), meta.get(PARSED_WORLD_KEY));
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw unreachable(err) ? new LedgerUnavailable(`the PostgreSQL ledger at ${location} is unavailable: ${(err as Error).message}`, { cause: err }) : err;
  }
  return ledger;
}
