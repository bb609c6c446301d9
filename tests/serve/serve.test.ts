/**
 * `medpos serve` as HIS software meets it: real processes on a private PostgreSQL cluster, real HTTP,
 * TIF-signed requests. Faults: the server killed mid-traffic, PostgreSQL restarted mid-traffic, two
 * servers draining one family's accounts; and every bad signature refused with nothing written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { credentialsFile, drugCancel, drugSale, getJson, send, sleep, startServe, tif, type ServeProcess } from './helpers.ts';

const withPg = pgAvailable('the medpos serve tests');
let cluster: PgCluster;
let auth: string;

beforeAll(async () => {
  if (!withPg) return;
  cluster = await startPgCluster();
  auth = credentialsFile();
}, 60_000);
afterAll(async () => {
  if (withPg) await cluster?.stop();
});

/** Persons of the demo world with an account and no family binding: [psn_no, certno, opening balance in fen]. */
const LONERS: [string, string, number][] = [
  ['44030000000000000005', '440305198807300554', 152_030],
  ['44030000000000000006', '44030619900218071X', 96_820],
  ['44030000000000000007', '440303195712050429', 221_075],
  ['44030000000000000013', '440306196803210196', 76_000],
  ['44030000000000000020', '440303197103152154', 300_000],
];

const fen = (yuan: unknown) => Math.round(Number(yuan) * 100);

async function newDatabase(): Promise<{ db: string; name: string }> {
  const db = await cluster.createDatabase();
  return { db, name: new URL(db).pathname.slice(1) };
}

async function balances(name: string): Promise<Map<string, number>> {
  const rows = await cluster.asSuperuser<{ psn_no: string; balc: string }>(name, 'SELECT psn_no, balc FROM accounts');
  return new Map(rows.map((r) => [r.psn_no, Number(r.balc)]));
}

async function countOf(name: string, table: string): Promise<number> {
  return Number((await cluster.asSuperuser<{ n: string }>(name, `SELECT count(*) AS n FROM ${table}`))[0]!.n);
}

function auditVerify(db: string): { ok: boolean; records: number } {
  const out = execFileSync(process.execPath, ['bin/medpos.js', 'audit', 'verify', '--db', db], { encoding: 'utf8' });
  return JSON.parse(out.trim()) as { ok: boolean; records: number };
}

type Answer = { status: number; json: Record<string, any> };

/** A client's traffic: sales for one person, every third one cancelled; each msgid re-sent until it is answered. */
async function client(id: number, person: [string, string, number], ops: number, target: () => string, log: { answers: Map<string, Answer>; unavailable: Answer[]; unanswered: Set<string> }) {
  const [psn, certno] = person;
  const sendUntilAnswered = async (msgid: string, env: unknown): Promise<Answer> => {
    for (let tries = 0; tries < 400; tries++) {
      const r = await send(target(), env, tif());
      if (r === undefined) {
        log.unanswered.add(msgid); // the connection broke: no answer came, so the same msgid goes again
      } else if (r.status === 503) {
        log.unavailable.push({ status: r.status, json: r.json });
      } else {
        const a = { status: r.status, json: r.json };
        log.answers.set(msgid, a);
        return a;
      }
      await sleep(50);
    }
    throw new Error(`msgid ${msgid} was never answered`);
  };
  for (let i = 0; i < ops; i++) {
    const sale = await sendUntilAnswered(`C${id}S${i}`, drugSale(`C${id}S${i}`, psn, certno));
    expect(sale.json, JSON.stringify(sale.json)).toMatchObject({ infcode: 0 });
    if (i % 3 === 0) {
      const s = sale.json.output.setlinfo;
      const cancel = await sendUntilAnswered(`C${id}X${i}`, drugCancel(`C${id}X${i}`, { setl_id: s.setl_id, mdtrt_id: s.mdtrt_id, psn_no: psn }));
      expect(cancel.json, JSON.stringify(cancel.json)).toMatchObject({ infcode: 0 });
    }
  }
}

/** Each msgid applied once; each person's balance = opening - settled + cancelled; the chain verifies. */
async function checkLedger(db: string, name: string, answers: Map<string, Answer>) {
  const expected = new Map(LONERS.map(([p, , opening]) => [p, opening]));
  for (const [msgid, a] of answers) {
    if (!msgid.includes('S')) continue;
    const s = a.json.output.setlinfo;
    expect(fen(s.medfee_sumamt)).toBe(fen(s.fund_pay_sumamt) + fen(s.acct_pay) + fen(s.psn_cash_pay));
    const cancelled = answers.has(msgid.replace('S', 'X'));
    if (!cancelled) expected.set(s.psn_no, expected.get(s.psn_no)! - fen(s.acct_pay));
  }
  const actual = await balances(name);
  for (const [psn, balc] of expected) expect(actual.get(psn), psn).toBe(balc);
  const perMsgid = await cluster.asSuperuser<{ msgid: string; n: string }>(name, 'SELECT msgid, count(*) AS n FROM settlements GROUP BY msgid HAVING count(*) > 1');
  expect(perMsgid).toEqual([]);
  expect(await countOf(name, 'settlements')).toBe(answers.size);
  expect(await countOf(name, 'messages')).toBe(answers.size);
  expect(auditVerify(db)).toMatchObject({ ok: true, records: answers.size });
}

describe.skipIf(!withPg)('medpos serve on PostgreSQL', () => {
  it('loads the world into a new database, answers /health, and refuses a non-loopback bind without --auth', async () => {
    const { db } = await newDatabase();
    const noWorld = spawnSync(process.execPath, ['bin/medpos.js', 'serve', '--db', db, '--port', '0'], { encoding: 'utf8' });
    expect(noWorld.status).toBe(2);
    expect(noWorld.stderr).toMatch(/--world/);
    const exposed = spawnSync(process.execPath, ['bin/medpos.js', 'serve', '--db', db, '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8' });
    expect(exposed.status).toBe(2);
    expect(exposed.stderr).toMatch(/--auth/);
    expect(exposed.stderr).not.toMatch(/pw-/); // the URL's password is never printed
    const [a, b] = await Promise.all([startServe(['--db', db, '--world', 'fixtures/worlds/demo']), startServe(['--db', db, '--world', 'fixtures/worlds/demo'])]);
    try {
      expect(await getJson(`${a.base}/health`)).toEqual({ status: 200, json: { database: 'ok' } });
      expect(await getJson(`${b.base}/health`)).toEqual({ status: 200, json: { database: 'ok' } });
      expect((await getJson(`${a.base}/`)).status).toBe(404); // no page
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
  }, 60_000);

  it('refuses unsigned, badly signed, stale, replayed and wrong-institution requests with HTTP 401, writing nothing', async () => {
    const { db, name } = await newDatabase();
    const a = await startServe(['--db', db, '--world', 'fixtures/worlds/demo', '--auth', auth]);
    const b = await startServe(['--db', db, '--auth', auth]);
    try {
      const [psn, certno] = LONERS[0]!;
      const sale = drugSale('AUTH-1', psn, certno);
      const used = tif();
      expect((await send(a.url, drugSale('AUTH-0', psn, certno), used))!.json).toMatchObject({ infcode: 0 });
      const before = { settlements: await countOf(name, 'settlements'), messages: await countOf(name, 'messages'), balances: await balances(name) };
      const now = Math.floor(Date.now() / 1000);
      const cases: [unknown, Record<string, string>, string][] = [
        [sale, {}, 'unauthenticated'],
        [sale, tif({ secret: 'not-the-secret' }), 'unauthenticated'],
        [sale, { ...tif(), 'x-tif-paasid': 'nobody' }, 'unauthenticated'],
        [sale, tif({ timestamp: now - 301 }), 'stale_timestamp'],
        [sale, tif({ timestamp: now + 330 }), 'stale_timestamp'], // well past the window: the cases take seconds to run
        [sale, used, 'nonce_reused'], // on the other server: the nonce is in the database they share
        [{ ...sale, fixmedins_code: 'P44030000002' }, tif(), 'wrong_institution'],
        [sale, tif({ paasid: 'hospital_two', secret: 'another-long-secret-for-the-hospital' }), 'wrong_institution'],
      ];
      for (const [env, headers, err_code] of cases) {
        const r = (await send(b.url, env, headers))!;
        expect({ status: r.status, err_code: r.json.err_code, infcode: r.json.infcode }, err_code).toEqual({ status: 401, err_code, infcode: -1 });
      }
      expect({ settlements: await countOf(name, 'settlements'), messages: await countOf(name, 'messages'), balances: await balances(name) }).toEqual(before);
      // the msgid was never bound: signed properly, it is applied now
      expect((await send(b.url, sale))!.json).toMatchObject({ infcode: 0 });
      expect((await getJson(`${b.base}/health`)).status).toBe(200); // no signature needed
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);

  it('seals each record into the hash chain within a second of its commit; `medpos call` seals before it returns', async () => {
    const { db, name } = await newDatabase();
    const server = await startServe(['--db', db, '--world', 'fixtures/worlds/demo', '--auth', auth]);
    const unsealed = async () => Number((await cluster.asSuperuser<{ n: string }>(name, 'SELECT count(*) AS n FROM settlements s WHERE NOT EXISTS (SELECT 1 FROM settlement_chain c WHERE c.seq = s.seq)'))[0]!.n);
    try {
      const [psn, certno] = LONERS[1]!;
      expect((await send(server.url, drugSale('SEAL-1', psn, certno)))!.json).toMatchObject({ infcode: 0 });
      await sleep(1500); // the bound is 1 s after commit; the margin is for a busy machine, not a speed claim
      expect(await unsealed()).toBe(0);
      expect(await countOf(name, 'settlements')).toBe(1);
      const call = spawnSync(process.execPath, ['bin/medpos.js', 'call', '2102', '--db', db], { input: JSON.stringify(drugSale('SEAL-2', psn, certno)), encoding: 'utf8', env: { ...process.env, MEDPOS_NOW: '2026-11-20T10:00:00+08:00' } });
      expect(JSON.parse(call.stdout)).toMatchObject({ infcode: 0 });
      expect(await unsealed()).toBe(0);
    } finally {
      await server.stop();
    }
    expect(auditVerify(db)).toMatchObject({ ok: true, records: 2 });
  }, 60_000);

  it('(a) killed with SIGKILL mid-traffic and restarted: every unanswered msgid re-sent is applied once; balances and the chain hold', async () => {
    const { db, name } = await newDatabase();
    let server: ServeProcess = await startServe(['--db', db, '--world', 'fixtures/worlds/demo', '--auth', auth]);
    let url = server.url;
    const log = { answers: new Map<string, Answer>(), unavailable: [] as Answer[], unanswered: new Set<string>() };
    const clients = Array.from({ length: 10 }, (_, c) => client(c, LONERS[c % LONERS.length]!, 9, () => url, log));
    while (log.answers.size < 30) await sleep(20);
    await server.kill();
    const killedAt = log.answers.size;
    server = await startServe(['--db', db, '--auth', auth]);
    url = server.url;
    await Promise.all(clients);
    try {
      expect(killedAt).toBeLessThan(log.answers.size); // traffic went on after the restart
      expect(log.unanswered.size).toBeGreaterThan(0); // some requests were in flight when it died
      await checkLedger(db, name, log.answers);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 90_000);

  it('(b) PostgreSQL restarted mid-traffic: callers get platform_unavailable with HTTP 503, the server reconnects by itself, nothing lost or doubled', async () => {
    const { db, name } = await newDatabase();
    const server = await startServe(['--db', db, '--world', 'fixtures/worlds/demo', '--auth', auth]);
    try {
      const log = { answers: new Map<string, Answer>(), unavailable: [] as Answer[], unanswered: new Set<string>() };
      const clients = Array.from({ length: 10 }, (_, c) => client(c, LONERS[c % LONERS.length]!, 9, () => server.url, log));
      while (log.answers.size < 30) await sleep(20);
      await cluster.pause();
      while (log.unavailable.length < 10) await sleep(20);
      expect(await getJson(`${server.base}/health`)).toEqual({ status: 503, json: { database: 'unavailable' } });
      await cluster.resume();
      await Promise.all(clients);
      expect(log.unanswered.size).toBe(0); // the server itself never went away
      for (const u of log.unavailable) expect(u).toMatchObject({ status: 503, json: { infcode: -1, err_code: 'platform_unavailable' } });
      expect(await getJson(`${server.base}/health`)).toEqual({ status: 200, json: { database: 'ok' } });
      await checkLedger(db, name, log.answers);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 90_000);

  it('(c) two servers on one database, one family, eight clients each: no overdraft', async () => {
    const { db, name } = await newDatabase();
    const a = await startServe(['--db', db, '--world', 'fixtures/worlds/demo', '--auth', auth]);
    const b = await startServe(['--db', db, '--auth', auth]);
    const WANG = '44030000000000000001'; // her account, then her husband's by mutual aid
    const LI = '44030000000000000002';
    try {
      const opening = await balances(name);
      const paid: Record<string, any>[] = [];
      const run = async (server: ServeProcess, c: number) => {
        for (let i = 0; i < 8; i++) {
          const r = (await send(server.url, drugSale(`F${c}-${i}`, WANG, '440304198409230267', '200.00')))!;
          expect(r.json, JSON.stringify(r.json)).toMatchObject({ infcode: 0 });
          paid.push(r.json.output.setlinfo);
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, c) => run(c % 2 === 0 ? a : b, c)));
      const after = await balances(name);
      expect(after.get(WANG)).toBeGreaterThanOrEqual(0);
      expect(after.get(LI)).toBeGreaterThanOrEqual(0);
      const fromAccounts = paid.reduce((s, p) => s + fen(p.acct_pay), 0);
      expect(fromAccounts).toBe(opening.get(WANG)! + opening.get(LI)! - after.get(WANG)! - after.get(LI)!);
      expect(paid.some((p) => fen(p.acct_mulaid_pay) > 0)).toBe(true);
      expect(paid.some((p) => fen(p.psn_cash_pay) > 0)).toBe(true); // the accounts ran dry: the rest was cash
      for (const p of paid) expect(fen(p.medfee_sumamt)).toBe(fen(p.fund_pay_sumamt) + fen(p.acct_pay) + fen(p.psn_cash_pay));
      const debited = await cluster.asSuperuser<{ n: string }>(name, 'SELECT coalesce(sum(amount), 0) AS n FROM settlement_debits');
      expect(Number(debited[0]!.n)).toBe(fromAccounts);
      expect(auditVerify(db)).toMatchObject({ ok: true, records: 128 });
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 90_000);
});
