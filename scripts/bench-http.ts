/**
 * Bench (g): settlements per second and p50/p99 latency over HTTP at 1, 4, 16 and 64 concurrent
 * clients, for one `medpos serve` on SQLite, one on PostgreSQL (a private cluster with fsync and
 * synchronous_commit on), and the baseline: a bare fastify handler writing the same rows with raw `pg`
 * (scripts/bench-raw-server.ts), same HTTP stack, same pool, one process each, on this machine. The
 * world holds many persons so that clients settle for different families (one family's row lock
 * serializes its settlements by design). Standalone: `tsx scripts/bench-http.ts [--quick]` prints JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPgCluster } from '../tests/helpers/pg-cluster.ts';
import { CALL_SERVICE_PATH } from '../src/platform/gateway.ts';

export const LEVELS = [1, 4, 16, 64] as const;
const PERSONS = 2000;
/** Connections each server's pool holds (medpos serve --pool, and the baseline's). */
export const POOL = 16;
const NOW = '2026-11-20T10:00:00+08:00';

interface Level { clients: number; per_s: number; p50_ms: number; p99_ms: number; settlements: number }

/** The demo world with PERSONS more employees, each with an account that never runs dry. */
function benchWorld(dir: string): { dir: string; persons: { psn_no: string; certno: string }[] } {
  const world = join(dir, 'world');
  cpSync('fixtures/worlds/demo', world, { recursive: true });
  const file = join(world, 'persons.json');
  const persons = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>[];
  const template = persons.find((p) => p.baseinfo.psn_no === '44030000000000000005')!;
  const added = Array.from({ length: PERSONS }, (_, k) => {
    const p = structuredClone(template);
    p.baseinfo.psn_no = `4403009${String(k).padStart(13, '0')}`;
    p.baseinfo.certno = `BENCH${String(k).padStart(8, '0')}`;
    p.baseinfo.psn_name = `压测${k}`;
    p.insuinfo[0].balc = 900_000;
    delete p.ytd;
    return p;
  });
  writeFileSync(file, JSON.stringify([...persons, ...added]));
  return { dir: world, persons: added.map((p) => ({ psn_no: p.baseinfo.psn_no, certno: p.baseinfo.certno })) };
}

function sale(msgid: string, p: { psn_no: string; certno: string }) {
  return {
    infno: '2102', msgid, fixmedins_code: 'P44030000001', insuplc_admdvs: '440300', mdtrtarea_admvs: '440300', infver: 'V1.0',
    input: {
      druginfo: { psn_no: p.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, insutype: '310', med_type: '41', medfee_sumamt: 12.5, acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric: 12.5, cnt: 1, det_item_fee_sumamt: 12.5 }],
    },
  };
}

/** A child process that prints its URL on its first line of output. */
function startChild(args: string[], env: Record<string, string> = {}): Promise<{ url: string; proc: ChildProcess; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, args, { env: { ...process.env, MEDPOS_NOW: NOW, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()).slice(-4000));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${err}`)));
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve({ url: out.split('\n')[0]!, proc, stop: async () => void (proc.kill('SIGTERM'), await exited) });
    });
  });
}

function postJson(agent: Agent, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `clients` closed-loop clients for `ms` milliseconds; every answer must be a settlement. */
async function load(url: string, clients: number, ms: number, body: (client: number, i: number) => string): Promise<Level> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const u = new URL(url);
  const times: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const text = await postJson(agent, u, body(c, i));
        if (!text.includes('"infcode":0')) throw new Error(`bench settlement refused: ${text.slice(0, 300)}`);
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - start;
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { clients, per_s: (times.length / elapsed) * 1000, p50_ms: at(0.5), p99_ms: at(0.99), settlements: times.length };
}

export async function benchHttp(opts: { quick: boolean; say: (s: string) => void }) {
  const ms = opts.quick ? 1500 : 5000;
  const warmMs = opts.quick ? 500 : 1500;
  const dir = mkdtempSync(join(tmpdir(), 'medpos-bench-http-'));
  const world = benchWorld(dir);
  const cluster = await startPgCluster({ durable: true });
  const children: { stop: () => Promise<void> }[] = [];
  try {
    const medposDb = await cluster.createDatabase();
    const rawDb = await cluster.createDatabase();
    const sqlite = await startChild(['bin/medpos.js', 'serve', '--db', join(dir, 'serve.db'), '--world', world.dir, '--port', '0']);
    children.push(sqlite);
    const onPg = await startChild(['bin/medpos.js', 'serve', '--db', medposDb, '--world', world.dir, '--port', '0', '--pool', String(POOL)]);
    children.push(onPg);
    // the baseline's database: the same schema and accounts, made by medpos; its rows copied from a real settlement
    const init = await startChild(['bin/medpos.js', 'init', '--db', rawDb, '--world', world.dir]);
    await new Promise((resolve) => init.proc.once('exit', resolve));
    const agent = new Agent({ keepAlive: true });
    await postJson(agent, new URL(onPg.url + CALL_SERVICE_PATH), JSON.stringify(sale('TEMPLATE', world.persons[0]!)));
    agent.destroy();
    const c = new pg.Client({ connectionString: medposDb });
    await c.connect();
    const one = async (sql: string) => (await c.query(sql)).rows[0] as Record<string, unknown>;
    const template = {
      visit: await one('SELECT * FROM visits LIMIT 1'),
      line: await one('SELECT * FROM fee_lines LIMIT 1'),
      settlement: await one('SELECT * FROM settlements LIMIT 1'),
      debit: await one('SELECT * FROM settlement_debits LIMIT 1'),
      message: await one('SELECT * FROM messages LIMIT 1'),
    };
    await c.end();
    const templateFile = join(dir, 'template.json');
    writeFileSync(templateFile, JSON.stringify(template));
    const raw = await startChild(['--import', 'tsx', 'scripts/bench-raw-server.ts', rawDb, templateFile, String(POOL)]);
    children.push(raw);

    let round = 0;
    const medposBody = (tag: string) => (client: number, i: number) => sale(`${tag}${round}-${client}-${i}`, world.persons[(client * 31 + i) % PERSONS]!);
    const targets = {
      sqlite: { url: sqlite.url + CALL_SERVICE_PATH, body: medposBody('Q') },
      pg: { url: onPg.url + CALL_SERVICE_PATH, body: medposBody('G') },
      raw_pg: { url: raw.url, body: (client: number, i: number) => JSON.stringify({ msgid: `R${round}-${client}-${i}`, psn_no: world.persons[(client * 31 + i) % PERSONS]!.psn_no }) },
    };
    const curves: Record<keyof typeof targets, Level[]> = { sqlite: [], pg: [], raw_pg: [] };
    // MEDPOS_BENCH_LEVELS=1,16 narrows a profiling run; the ratios need 1 and 16
    const levels = process.env.MEDPOS_BENCH_LEVELS ? process.env.MEDPOS_BENCH_LEVELS.split(',').map(Number) : LEVELS;
    for (const clients of levels) {
      // pg and its baseline side by side at each level, so that both meet the same disk and the same neighbours
      for (const name of ['pg', 'raw_pg', 'sqlite'] as const) {
        const t = targets[name];
        const body = (cl: number, i: number) => { const b = t.body(cl, i); return typeof b === 'string' ? b : JSON.stringify(b); };
        round++;
        await load(t.url, clients, warmMs, body);
        round++;
        const level = await load(t.url, clients, ms, body);
        curves[name].push(level);
        opts.say(`(g) ${name} at ${clients} clients: ${level.per_s.toFixed(0)}/s, p50 ${level.p50_ms.toFixed(1)} ms, p99 ${level.p99_ms.toFixed(1)} ms`);
      }
    }
    const at = (name: keyof typeof curves, n: number) => curves[name].find((l) => l.clients === n)?.per_s ?? Number.NaN;
    return {
      pool: POOL,
      persons: PERSONS,
      seconds_per_level: ms / 1000,
      curves,
      pg_vs_raw_16: at('pg', 16) / at('raw_pg', 16),
      pg_scaling_16_vs_1: at('pg', 16) / at('pg', 1),
      sqlite_scaling_16_vs_1: at('sqlite', 16) / at('sqlite', 1),
    };
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchHttp({ quick: process.argv.includes('--quick'), say: (s) => process.stderr.write(`${s}\n`) });
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
