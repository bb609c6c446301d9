/**
 * `npm run crash -- --kills N [--seed S]`: settles and cancels in a child process against a ledger
 * file, kills it with SIGKILL at random moments N times, and after every kill checks that what was
 * written is whole or absent, that balances and counters are the opening figures moved by exactly
 * the records present, that every msgid was applied at most once, that the hash chain holds, and
 * that a retry of the interrupted message completes it. Exits 1 at the first broken invariant.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FixedClock } from '../src/core/clock.ts';
import { createPlatform, initDatabase } from '../src/app.ts';
import { SqliteLedger } from '../src/ledger/sqlite.ts';
import { startProgress } from '../src/cli/progress.ts';

type Check = { ok: true } | { ok: false; why: string };

/** Every invariant a crash must not break, checked on the database file as found. */
export async function checkLedger(ledger: SqliteLedger, opening: Map<string, number>, openingCounters: Map<string, [number, number]>): Promise<Check> {
  const q = <T>(sql: string, ...args: unknown[]) => ledger.db.prepare(sql).all(...args) as T[];
  for (const a of q<{ psn_no: string; balc: number }>('SELECT psn_no, balc FROM accounts')) {
    const debited = q<{ s: number | null }>('SELECT sum(amount) AS s FROM settlement_debits WHERE psn_no = ?', a.psn_no)[0]!.s ?? 0;
    if (a.balc !== opening.get(a.psn_no)! - debited) return { ok: false, why: `balance of ${a.psn_no} is ${a.balc}, records say ${opening.get(a.psn_no)! - debited}` };
    if (a.balc < 0) return { ok: false, why: `balance of ${a.psn_no} is negative` };
  }
  for (const c of q<{ psn_no: string; insutype: string; year: number; dedc_used: number; fund_used: number }>('SELECT * FROM counters')) {
    const moved = q<{ d: number | null; f: number | null }>('SELECT sum(act_pay_dedc) AS d, sum(hifp_pay) AS f FROM settlements WHERE psn_no = ? AND insutype = ? AND year = ?', c.psn_no, c.insutype, c.year)[0]!;
    const [d0, f0] = openingCounters.get(`${c.psn_no}/${c.insutype}/${c.year}`) ?? [0, 0];
    if (c.dedc_used !== d0 + (moved.d ?? 0) || c.fund_used !== f0 + (moved.f ?? 0)) return { ok: false, why: `counters of ${c.psn_no} do not match the records` };
  }
  for (const s of q<{ setl_id: string; msgid: string; acct_pay: number; kind: string; mdtrt_id: string }>('SELECT setl_id, msgid, acct_pay, kind, mdtrt_id FROM settlements')) {
    const debits = q<{ s: number | null }>('SELECT sum(amount) AS s FROM settlement_debits WHERE setl_id = ?', s.setl_id)[0]!.s ?? 0;
    if (debits !== s.acct_pay) return { ok: false, why: `settlement ${s.setl_id}: debits ${debits} but acct_pay ${s.acct_pay}` };
    if (q('SELECT 1 FROM messages WHERE msgid = ?', s.msgid).length !== 1) return { ok: false, why: `settlement ${s.setl_id} has no stored message ${s.msgid}` };
    if (s.kind === 'settle' && q('SELECT 1 FROM fee_lines WHERE mdtrt_id = ?', s.mdtrt_id).length === 0) return { ok: false, why: `settlement ${s.setl_id} has no fee lines` };
  }
  const twice = q<{ msgid: string }>('SELECT msgid FROM settlements GROUP BY msgid HAVING count(*) > 1');
  if (twice.length) return { ok: false, why: `msgid ${twice[0]!.msgid} was applied twice` };
  const chain = await ledger.verifyChain();
  if (!chain.ok) return { ok: false, why: `hash chain: ${chain.problem} at ${chain.setl_id}` };
  return { ok: true };
}

export async function crashTest(kills: number, seed: number, log: (s: string) => void, onKill?: (done: number) => void): Promise<Check & { kills: number; records: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'medpos-crash-'));
  const db = join(dir, 'crash.db');
  let rng = seed >>> 0 || 1;
  const rand = () => ((rng = (Math.imul(rng, 22695477) + 1) >>> 0) / 2 ** 32);
  try {
    await initDatabase(db, 'fixtures/worlds/demo', new FixedClock('2026-11-20T10:00:00+08:00'), true);
    const ledger = new SqliteLedger(db);
    const opening = new Map((ledger.db.prepare('SELECT psn_no, balc FROM accounts').all() as { psn_no: string; balc: number }[]).map((a) => [a.psn_no, a.balc]));
    const openingCounters = new Map(
      (ledger.db.prepare('SELECT * FROM counters').all() as { psn_no: string; insutype: string; year: number; dedc_used: number; fund_used: number }[]).map((c) => [
        `${c.psn_no}/${c.insutype}/${c.year}`,
        [c.dedc_used, c.fund_used] as [number, number],
      ]),
    );
    const platform = createPlatform(ledger, new FixedClock('2026-11-20T10:00:00+08:00'));
    for (let k = 0; k < kills; k++) {
      const last = await runAndKill(db, seed * 1000 + k, 30 + rand() * 400);
      const found = await checkLedger(ledger, opening, openingCounters);
      if (!found.ok) return { ...found, kills: k + 1, records: await ledger.settlementCount() };
      if (last) {
        const r = await platform.call(last);
        if (r.infcode !== 0) return { ok: false, why: `retry of the interrupted message was refused: ${r.err_code} ${r.err_msg}`, kills: k + 1, records: await ledger.settlementCount() };
        const again = await checkLedger(ledger, opening, openingCounters);
        if (!again.ok) return { ...again, why: `after the retry: ${again.why}`, kills: k + 1, records: await ledger.settlementCount() };
      }
      onKill?.(k + 1);
      if ((k + 1) % 25 === 0) log(`crash: ${k + 1} kills, ${await ledger.settlementCount()} records, all invariants hold`);
    }
    const records = await ledger.settlementCount();
    await ledger.close();
    return { ok: true, kills, records };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the worker, lets it run `ms` after its first request, kills it; returns the request it was in. */
function runAndKill(db: string, seed: number, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/crash-worker.ts', db, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let last: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      if (lines.length) last = lines[lines.length - 1];
      timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`the worker stopped by itself (${code}): ${err}`));
      resolve(last ? JSON.parse(last) : undefined);
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { kills: { type: 'string', default: '100' }, seed: { type: 'string', default: String(Date.now() % 100000) } } });
  const kills = Number(values.kills);
  const seed = Number(values.seed);
  if (!Number.isInteger(kills) || kills < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: npm run crash -- --kills N [--seed S]\n');
    process.exit(2);
  }
  const progress = startProgress('crash: kills', { total: kills });
  const r = await crashTest(kills, seed, (s) => progress.print(s), () => progress.tick());
  progress.done();
  process.stdout.write(`${JSON.stringify({ seed, ...r })}\n`);
  process.exit(r.ok ? 0 : 1);
}
