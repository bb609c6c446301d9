/**
 * What only the PostgreSQL ledger does: a role that is not a superuser, records sealed into the
 * chain after commit (by a timer, on close, and never while an appender is still in flight), the
 * server going away and coming back. The rest is the contract (contract.test.ts).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorld, readWorldFiles } from '../../src/core/world.ts';
import { openPgLedger, redactUrl } from '../../src/ledger/pg.ts';
import { LedgerUnavailable, type LedgerStore, type LedgerTx } from '../../src/ledger/types.ts';
import type { SettlementRecord } from '../../src/ledger/records.ts';
import { WORLDS } from '../helpers.ts';
import { pgAvailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { rawQuery } from './pg-harness.ts';

const withPg = pgAvailable('the PostgreSQL ledger tests');
let cluster: PgCluster;

beforeAll(async () => {
  if (withPg) cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  if (withPg) await cluster.stop();
});

const LI = '44030000000000000002';
let n = 0;
function rec(amount: number, balc: number): SettlementRecord {
  n += 1;
  return {
    setl_id: `PG${n}`, kind: 'settle', init_setl_id: null, mdtrt_id: `M${n}`, psn_no: LI, insutype: '310', psn_type: '11', clr_type: '41',
    clr_optins: '440300', fixmedins_code: 'P44030000001', med_type: '41', setl_time: '2026-11-20 10:00:00', setl_date: '2026-11-20', year: 2026,
    medfee_sumamt: amount, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 0, inscp_scp_amt: amount, act_pay_dedc: 0, hifp_pay: 0,
    fund_pay_sumamt: 0, psn_part_amt: amount, acct_pay: amount, acct_mulaid_pay: 0, psn_cash_pay: 0, balc, mdtrt_cert_type: '02', pool_prop_selfpay: 0, msgid: `PGM${n}`,
  };
}
async function settle(tx: LedgerTx, amount: number): Promise<SettlementRecord> {
  const r = rec(amount, (await tx.balance(LI)) - amount);
  await tx.appendSettlement(r, [{ psn_no: LI, role: 'own', amount }], []);
  return r;
}

async function ledgerWithWorld(): Promise<{ url: string; store: LedgerStore }> {
  const url = await cluster.createDatabase();
  const store = await openPgLedger(url);
  const raw = readWorldFiles(WORLDS.demo);
  await store.loadWorld(raw as unknown as Record<string, unknown>, parseWorld(raw), 2026, Buffer.alloc(32, 1));
  return { url, store };
}

const UNSEALED = 'SELECT count(*) AS n FROM settlements s WHERE NOT EXISTS (SELECT 1 FROM settlement_chain c WHERE c.seq = s.seq)';
const unsealed = async (url: string) => Number((await rawQuery(url, UNSEALED))[0]!.n);

async function until(what: string, check: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(withPg)('the PostgreSQL ledger', () => {
  it('lives in a database its role owns, with no superuser and no extension, and never shows the password', async () => {
    const { url, store } = await ledgerWithWorld();
    try {
      expect(store.location).not.toContain(new URL(url).password);
      expect(store.location).toBe(redactUrl(url));
      expect(redactUrl('postgres://u:s3cret@h:5/db')).toBe('postgres://u@h:5/db');
      const [me] = await rawQuery(url, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
      expect(me).toEqual({ rolsuper: false });
      const owners = await rawQuery(url, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
      expect(owners).toEqual([{ tableowner: cluster.role }]);
      expect(await rawQuery(url, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")).toEqual([]);
      const version = await rawQuery(url, "SELECT value FROM meta WHERE key = 'schema_version'");
      expect(version).toEqual([{ value: expect.stringMatching(/^\d+$/) }]);
    } finally {
      await store.close();
    }
  });

  it('refuses a database that holds tables of something else, as schema 0', async () => {
    const url = await cluster.createDatabase();
    await rawQuery(url, 'CREATE TABLE patients (id INTEGER PRIMARY KEY)');
    await expect(openPgLedger(url)).rejects.toThrow(/holds a medpos ledger of schema 0; this medpos needs schema \d+/);
    expect(await rawQuery(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ tablename: 'patients' }]);
  });

  it('draws named numbers in blocks for a server: unique across processes and connections, in order one after another, none lost to a rolled-back creation', async () => {
    const url = await cluster.createDatabase();
    const a = await openPgLedger(url, { numberBlock: 8 });
    const b = await openPgLedger(url, { numberBlock: 8 });
    try {
      // the sequence does not exist yet: a creation rolled back must not leave numbers behind
      await expect(a.transaction(async (tx) => { await tx.nextSeq('S'); throw new Error('rolled back'); })).rejects.toThrow('rolled back');
      const drawn = await Promise.all([a, b].map((s) => Promise.all(Array.from({ length: 20 }, () => s.transaction((tx) => tx.nextSeq('S'))))));
      const all = drawn.flat();
      expect(new Set(all).size).toBe(all.length);
      const inTurn: number[] = [];
      for (let i = 0; i < 10; i++) inTurn.push(await a.transaction((tx) => tx.nextSeq('S')));
      expect([...inTurn].sort((x, y) => x - y)).toEqual(inTurn);
      expect(inTurn.filter((n) => all.includes(n))).toEqual([]);
      // 50 numbers in blocks of 8 (a few draws of one while the sequence was new), not one round trip each
      expect(Number((await rawQuery(url, 'SELECT last_value AS n FROM "medpos_seq_S"'))[0]!.n)).toBeLessThanOrEqual(50 + 40 * 8);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps amounts as BIGINT columns an auditor reads with psql, and checks them itself', async () => {
    const { url, store } = await ledgerWithWorld();
    try {
      const r = await store.transaction((tx) => settle(tx, 1234));
      await store.seal();
      const [row] = await rawQuery(url, 'SELECT medfee_sumamt, acct_pay, psn_cash_pay, balc, c.hash IS NOT NULL AS sealed FROM settlements s LEFT JOIN settlement_chain c USING (seq) WHERE setl_id = ?', [r.setl_id]);
      expect(row).toEqual({ medfee_sumamt: '1234', acct_pay: '1234', psn_cash_pay: '0', balc: String(286050 - 1234), sealed: true });
      const types = await rawQuery(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'settlements' AND column_name IN ('medfee_sumamt', 'balc', 'acct_pay') GROUP BY data_type");
      expect(types).toEqual([{ data_type: 'bigint' }]);
      await expect(rawQuery(url, 'UPDATE accounts SET balc = -1 WHERE psn_no = ?', [LI])).rejects.toThrow(/check constraint/);
    } finally {
      await store.close();
    }
  });

  it('seals committed records by itself, without a caller asking, and on close', async () => {
    const { url, store } = await ledgerWithWorld();
    await store.transaction((tx) => settle(tx, 100));
    await until('the timer to seal the record', async () => (await unsealed(url)) === 0);
    // close seals what is left: no timer gets the chance
    await store.transaction((tx) => settle(tx, 100));
    await store.close();
    expect(await unsealed(url)).toBe(0);
    const again = await openPgLedger(url);
    try {
      expect(await again.verifyChain()).toEqual({ ok: true, records: 2 });
    } finally {
      await again.close();
    }
  });

  it('waits, to seal, for an appender still in flight, and chains its lower seq first', async () => {
    const { url, store } = await ledgerWithWorld();
    const other = await openPgLedger(url);
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let appended!: () => void;
      const inFlight = new Promise<void>((r) => (appended = r));
      // the first appender draws the lower seq and stays open
      const first = store.transaction(async (tx) => {
        const r = await settle(tx, 100);
        await tx.meta('schema_version'); // a statement waited for carries the append to the server: it is in flight, uncommitted
        appended();
        await held;
        return r;
      });
      await inFlight;
      const second = await other.transaction(async (tx) => {
        const r = rec(50, 0);
        await tx.appendSettlement({ ...r, psn_no: '44030000000000000005', balc: 152030 - 50 }, [{ psn_no: '44030000000000000005', role: 'own', amount: 50 }], []);
        return r;
      });
      let sealed: number | undefined;
      const sealing = other.seal().then((k) => (sealed = k));
      await until('the sealer to wait for the chain lock', async () =>
        (await rawQuery(url, "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND mode = 'ExclusiveLock'"))[0]!.n === '1',
      );
      expect(sealed).toBeUndefined();
      expect(await unsealed(url)).toBe(1); // the second one committed, and waits unsealed
      release();
      const firstRec = await first;
      await sealing;
      await store.seal();
      const order = await rawQuery(url, 'SELECT setl_id FROM settlements ORDER BY seq');
      expect(order.map((r) => r.setl_id)).toEqual([firstRec.setl_id, second.setl_id]);
      expect(await store.verifyChain()).toEqual({ ok: true, records: 2 });
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('chains every record once, in seq order, when three servers append and seal at once', async () => {
    const { url, store } = await ledgerWithWorld();
    const others = [await openPgLedger(url), await openPgLedger(url)];
    const stores = [store, ...others];
    try {
      const persons = [...store.world().persons.values()].filter((p) => p.insuinfo.some((i) => i.insutype === '310')).map((p) => p.baseinfo.psn_no);
      let sealing = true;
      const sealers = stores.map(async (s) => {
        let sealed = 0;
        while (sealing) sealed += await s.seal();
        return sealed;
      });
      const appended = await Promise.all(
        Array.from({ length: 24 }, async (_, k) => {
          const s = stores[k % 3]!;
          for (let i = 0; i < 5; i++) {
            const psn = persons[(k + i) % persons.length]!;
            await s.transaction(async (tx) => {
              const r = { ...rec(1, 0), psn_no: psn, acct_pay: 0, psn_part_amt: 0, psn_cash_pay: 1, balc: await tx.balance(psn) };
              await tx.appendSettlement(r, [], []);
            });
          }
          return 5;
        }),
      );
      sealing = false;
      const sealedBySealers = (await Promise.all(sealers)).reduce((a, b) => a + b, 0);
      const rest = (await Promise.all(stores.map((s) => s.seal()))).reduce((a, b) => a + b, 0);
      const total = appended.reduce((a, b) => a + b, 0);
      expect(sealedBySealers + rest).toBeLessThanOrEqual(total); // the timers sealed the others
      expect(await unsealed(url)).toBe(0);
      expect(await store.verifyChain()).toEqual({ ok: true, records: total });
      const chain = await rawQuery(url, 'SELECT s.seq, c.prev_hash, c.hash FROM settlements s LEFT JOIN settlement_chain c USING (seq) ORDER BY s.seq');
      chain.forEach((row, i) => i > 0 && expect(row.prev_hash).toBe(chain[i - 1]!.hash));
      expect((await rawQuery(url, "SELECT value FROM meta WHERE key = 'chain_head'"))[0]!.value).toBe(chain.at(-1)!.hash);
    } finally {
      for (const o of others) await o.close();
      await store.close();
    }
  });

  it('four server processes settling for one family at once: no overdraft, every debit in an answer, every record sealed by the time they exit', async () => {
    const { url, store } = await ledgerWithWorld();
    await store.close();
    const all = (await Promise.all([1, 2, 3, 4].map((id) => worker(url, id, 30)))).flat();
    expect(all).toHaveLength(120);
    const after = await openPgLedger(url);
    try {
      const [wang, li] = await after.transaction(async (tx) => [await tx.balance('44030000000000000001'), await tx.balance('44030000000000000002')]);
      const paid = all.reduce((s, r) => s + r.acct_pay, 0);
      expect(paid).toBe(12000 + 286050); // 120 x 30.00 asks for more than there is: both accounts run dry exactly
      expect([wang, li]).toEqual([0, 0]);
      expect(await unsealed(url)).toBe(0); // each process sealed its records before it exited
      expect(await after.verifyChain()).toEqual({ ok: true, records: 120 });
    } finally {
      await after.close();
    }
  }, 120_000);

  it('draws numbers of a new named sequence from many servers at once, each once', async () => {
    const url = await cluster.createDatabase();
    const stores = [await openPgLedger(url), await openPgLedger(url)];
    try {
      const drawn = await Promise.all(Array.from({ length: 16 }, (_, k) => stores[k % 2]!.transaction((tx) => tx.nextSeq('first_use'))));
      expect([...drawn].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('purges request nonces older than the window, now and then, and keeps the fresh ones', async () => {
    const url = await cluster.createDatabase();
    const store = await openPgLedger(url);
    const t = 1_790_000_000;
    await store.transaction(async (tx) => {
      for (let i = 0; i < 499; i++) await tx.claimNonce('paas', `old-${i}`, t);
      // a purge is due every 500 claims: among the next 501 at least one falls due, at t + 1000
      for (let i = 0; i < 501; i++) await tx.claimNonce('paas', `new-${i}`, t + 1000);
    });
    await store.close(); // waits for the purge
    expect(await rawQuery(url, 'SELECT count(*) AS n FROM request_nonces WHERE at = ?', [t])).toEqual([{ n: '0' }]);
    expect(await rawQuery(url, 'SELECT count(*) AS n FROM request_nonces WHERE at = ?', [t + 1000])).toEqual([{ n: '501' }]);
  });

  it('shows a record whose seal was removed', async () => {
    const { url, store } = await ledgerWithWorld();
    try {
      const recs = [];
      for (let i = 0; i < 3; i++) recs.push(await store.transaction((tx) => settle(tx, 10)));
      await store.seal();
      await rawQuery(url, 'DELETE FROM settlement_chain WHERE seq = (SELECT seq FROM settlements WHERE setl_id = ?)', [recs[1]!.setl_id]);
      expect(await store.verifyChain()).toMatchObject({ ok: false, setl_id: recs[1]!.setl_id, problem: 'the record was changed' });
    } finally {
      await store.close();
    }
  });

  it('says the database is unavailable while the server is down, and carries on by itself when it is back', async () => {
    const { store } = await ledgerWithWorld();
    try {
      await store.transaction((tx) => settle(tx, 100));
      const down = cluster.restart(); // fast shutdown, then start
      await down;
      // the pool's idle connections died with the old server: the next transaction gets a new one
      await expect(store.transaction((tx) => tx.balance(LI))).resolves.toBe(286050 - 100);
      await stopped(async () => {
        const err = await store.transaction((tx) => tx.balance(LI)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LedgerUnavailable);
        expect((err as Error).message).toMatch(/the PostgreSQL ledger at postgres:\/\/medpos_app@127\.0\.0\.1:\d+\/\w+ is unavailable/);
      });
      await expect(store.transaction((tx) => settle(tx, 100))).resolves.toMatchObject({ acct_pay: 100 });
      expect(await store.verifyChain()).toEqual({ ok: true, records: 2 });
    } finally {
      await store.close();
    }
  });
});

function worker(url: string, id: number, count: number): Promise<{ msgid: string; acct_pay: number }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/ledger/pg-worker.ts', url, String(id), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${id} exited ${code}: ${err}`))));
  });
}

/** Runs fn while the server is stopped, then starts it again. */
async function stopped(fn: () => Promise<void>): Promise<void> {
  await cluster.pause();
  try {
    await fn();
  } finally {
    await cluster.resume();
  }
}
