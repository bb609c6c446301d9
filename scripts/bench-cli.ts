/**
 * (h) of `npm run bench`: the wall time of `medpos call 1101` on an existing database and of
 * `medpos --help`, each against `node -e 0` on the same machine, side by side: the three commands
 * run in alternating rounds, and each figure is the median over rounds. Runs the compiled bin
 * (building dist/ first when it is missing or stale), as an installed medpos does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = 'bin/medpos.js';
const NOW = '2026-11-20T10:00:00+08:00';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time of one run, ms; throws when the command fails. */
function wall(args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return ms;
}

export async function benchCli(o: { quick?: boolean } = {}) {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: ['ignore', 2, 2] });
  const rounds = o.quick ? 7 : 25;
  const dir = mkdtempSync(join(tmpdir(), 'medpos-bench-cli-'));
  try {
    const db = join(dir, 'cli.db');
    const input = join(dir, '1101.json');
    const env: NodeJS.ProcessEnv = { ...process.env, MEDPOS_NOW: NOW, MEDPOS_LOG_LEVEL: 'warn' };
    delete env.MEDPOS_SOURCE;
    execFileSync(process.execPath, [BIN, 'init', '--db', db, '--world', 'fixtures/worlds/demo'], { env, stdio: ['ignore', 'ignore', 2] });
    writeFileSync(input, JSON.stringify({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: '44030619900218071X', psn_cert_type: '01', certno: '44030619900218071X' } }));
    const runs = {
      node: ['-e', '0'],
      help: [BIN, '--help'],
      call: [BIN, 'call', '1101', '--db', db, '--input', input],
    };
    const times: Record<keyof typeof runs, number[]> = { node: [], help: [], call: [] };
    for (const name of Object.keys(runs) as (keyof typeof runs)[]) wall(runs[name], env); // warm the file cache
    for (let k = 0; k < rounds; k++) for (const name of Object.keys(runs) as (keyof typeof runs)[]) times[name].push(wall(runs[name], env));
    const node = median(times.node);
    const help = median(times.help);
    const call = median(times.call);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return { rounds, node_ms: r3(node), help_ms: r3(help), call_ms: r3(call), cli_help_vs_node: r3(help / node), cli_call_vs_node: r3(call / node) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Stand-alone: node --import tsx scripts/bench-cli.ts [--quick]
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  benchCli({ quick: process.argv.includes('--quick') }).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
}
