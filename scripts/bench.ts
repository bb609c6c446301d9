/**
 * `npm run bench [-- --quick] [--json FILE] [--svg FILE]`: medpos's speed against the limit of its
 * own storage, measured side by side in one run.
 *  (a) durable settlements per second through the whole transaction layer (the handler `medpos call`
 *      uses), against raw better-sqlite3 prepared statements writing exactly the rows a settlement
 *      writes, one BEGIN IMMEDIATE ... COMMIT each, same journal mode and synchronous setting;
 *  (b) the same in memory; (c) settlement latency with 10k and with 1M ledger rows;
 *  (d) replay throughput of a 10k-step scenario; (e) the card and scanner figures;
 *  (i) long hospital stays: 2301 upload against 2204, 2304 latency at 100, 1k and 10k lines (bench-inpatient.ts).
 *  (g) settlements over HTTP at 1-64 clients, medpos serve on SQLite and PostgreSQL against raw pg.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FixedClock } from '../src/core/clock.ts';
import { runScenario, type Scenario } from '../src/replay/replay.ts';
import { captureRows, freshLedger, rawWriter, saleRequest, type Figures } from './bench-lib.ts';
import { runDeviceFigure } from './bench-device.ts';
import { benchCli } from './bench-cli.ts';
import { inpatientFigures } from './bench-inpatient.ts';
import { benchHttp } from './bench-http.ts';
import { pgGate } from '../tests/helpers/pg-cluster.ts';
import { startProgress } from '../src/cli/progress.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, svg: { type: 'string' } } });
const quick = values.quick!;
const dir = mkdtempSync(join(tmpdir(), 'medpos-bench-'));
const progress = startProgress('bench', { total: 8 });
const say = (s: string) => progress.print(s);
const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * (a)/(b): settlements per second, medpos and raw interleaved in short rounds, so that both meet the
 * same disk (an fsync's cost drifts over seconds on shared machines). Neither side's first `warm`
 * settlements are timed: the JIT compiles the hot path and both files grow their first pages.
 * `ratio` is raw's total time over medpos's; `ratio_median_round`, the median of the per-round
 * ratios, is the same figure with a stray fsync stall in one side's round left out.
 */
async function throughput(path: string | ':memory:', rounds: number, perRound: number, warm: number) {
  const m = await freshLedger(path === ':memory:' ? path : join(path, 'medpos.db'));
  const r = await freshLedger(path === ':memory:' ? path : join(path, 'raw.db'));
  await r.platform.call(saleRequest(0));
  const raw = rawWriter(r.ledger, captureRows(r.ledger));
  let i = 0;
  const settle = async () => {
    const requests = Array.from({ length: perRound }, () => saleRequest(i++)); // the sender's work, not timed
    const t = now();
    for (const request of requests) {
      const res = await m.platform.call(request);
      if (res.infcode !== 0) throw new Error(`bench settlement refused: ${res.err_msg}`);
    }
    return now() - t;
  };
  const rawRound = () => {
    const t = now();
    for (let k = 0; k < perRound; k++) raw();
    return now() - t;
  };
  for (let k = 0; k < warm / perRound; k++) {
    await settle();
    rawRound();
  }
  const tm: number[] = [];
  const tr: number[] = [];
  for (let round = 0; round < rounds; round++) {
    tm.push(await settle());
    tr.push(rawRound());
  }
  const n = rounds * perRound;
  await m.ledger.close();
  await r.ledger.close();
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const perRoundRatios = tm.map((t, k) => tr[k]! / t).sort((a, b) => a - b);
  return {
    medpos_per_s: (n / sum(tm)) * 1000,
    raw_per_s: (n / sum(tr)) * 1000,
    ratio: sum(tr) / sum(tm),
    ratio_median_round: perRoundRatios[perRoundRatios.length >> 1]!,
    settlements: n,
  };
}

/** Compiles the hot paths of both sides before anything is timed. */
async function warmUp(settlements: number): Promise<void> {
  await throughput(':memory:', 1, 10, settlements);
}

/** (c): median settlement latency with `rows` settlement records already in the ledger. */
async function latencyAt(rows: number, samples: number): Promise<number> {
  const path = join(dir, `lat-${rows}.db`);
  const { ledger, platform } = await freshLedger(path);
  await platform.call(saleRequest(0));
  const base = ledger.db.prepare('SELECT * FROM settlements LIMIT 1').get() as Record<string, unknown>;
  const { seq: _s, ...row } = base;
  const ins = ledger.db.prepare(`INSERT INTO settlements (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((c) => '@' + c).join(', ')})`);
  ledger.db.pragma('synchronous = OFF');
  const batch = ledger.db.transaction((from: number, to: number) => {
    for (let k = from; k < to; k++) ins.run({ ...row, setl_id: `FILL${k}`, msgid: `FILL${k}`, mdtrt_id: `FILL${k}`, setl_date: '2026-01-01' });
  });
  for (let k = 1; k < rows; k += 50_000) batch(k, Math.min(rows, k + 50_000));
  ledger.db.pragma('synchronous = FULL');
  // the filler is not chained: move the chain head to the newest real record
  const times: number[] = [];
  for (let k = 0; k < samples; k++) {
    const t = now();
    const res = await platform.call(saleRequest(10_000_000 + k));
    times.push(now() - t);
    if (res.infcode !== 0) throw new Error(`bench settlement refused: ${res.err_msg}`);
  }
  await ledger.close();
  rmSync(path, { force: true });
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** (d): a scenario of `steps` pre-settlements and settlements, replayed. */
async function replayThroughput(steps: number) {
  const scenario: Scenario = {
    format: 'medpos-scenario/1',
    name: 'bench',
    world: 'fixtures/worlds/demo',
    now: '2026-11-20T10:00:00+08:00',
    fixmedins_code: 'P44030000001',
    steps: Array.from({ length: steps }, (_, k) => ({ call: k % 2 ? '2102' : '2101', input: saleRequest(k).input, expect: { infcode: 0 } })),
  };
  const t = now();
  const r = await runScenario(scenario, process.cwd(), (line) => say(line));
  const ms = now() - t;
  if (r.failed) throw new Error(`bench replay: ${r.failed} steps failed`);
  return { steps, steps_per_s: (steps / ms) * 1000 };
}

/**
 * (f): hostile input, `perBoundary` cases at each boundary (card, scanner, e-certificate,
 * transactions, world), shared among its properties as the tests weigh them. A failure is a bug: it
 * is reported with fast-check's seed and counterexample, and the bench exits 1.
 */
async function hostileInput(perBoundary: number) {
  const { hostileProperties } = await import('../tests/fuzz/hostile.ts');
  const props = hostileProperties();
  const boundaryOf = (name: string) => name.slice(0, name.indexOf(':'));
  const out: Record<string, { cases: number; failures: number; cases_per_s: number; failure?: string }> = {};
  for (const boundary of [...new Set(props.map((p) => boundaryOf(p.name)))]) {
    const mine = props.filter((p) => boundaryOf(p.name) === boundary);
    const weight = mine.reduce((n, p) => n + p.ciRuns, 0);
    const figure = { cases: 0, failures: 0, cases_per_s: 0 } as (typeof out)[string];
    const t = now();
    let share = 0;
    for (const p of mine) {
      const runs = Math.round((perBoundary * (share + p.ciRuns)) / weight) - Math.round((perBoundary * share) / weight);
      share += p.ciRuns;
      try {
        await p.run(runs);
      } catch (err) {
        figure.failures++;
        figure.failure = `${p.name}: ${(err as Error).message.split('\n').slice(0, 4).join(' ')}`;
      }
      figure.cases += runs;
    }
    figure.cases_per_s = (figure.cases / (now() - t)) * 1000;
    out[boundary] = figure;
    say(`(f) hostile input, ${boundary}: ${figure.cases} cases, ${figure.failures} failed${figure.failure ? ` (${figure.failure})` : ''}`);
  }
  return out;
}

/** (e): each device figure in its own process under a watchdog (scripts/bench-device.ts). */
async function deviceFigures(): Promise<Record<string, unknown>> {
  const timeoutMs = (quick ? 60 : 180) * 1000;
  return {
    card: await runDeviceFigure('scripts/bench-card.ts', quick, timeoutMs),
    scanner: await runDeviceFigure('scripts/bench-scanner.ts', quick, timeoutMs),
  };
}

const figures: Figures = {};
try {
  say(`bench: ${quick ? 'quick' : 'full'} run`);
  progress.note('warm-up');
  await warmUp(quick ? 3000 : 5000);
  progress.note('(a) durable settlements');
  const durable = await throughput(dir, quick ? 200 : 1000, 10, 500);
  figures.settle_vs_sqlite_durable = durable.ratio;
  figures.durable = durable;
  say(`(a) durable: medpos ${durable.medpos_per_s.toFixed(0)}/s, raw SQLite ${durable.raw_per_s.toFixed(0)}/s, ratio ${durable.ratio.toFixed(3)} (median of rounds ${durable.ratio_median_round.toFixed(3)})`);
  progress.tick(1, '(b) in-memory settlements');
  const memory = await throughput(':memory:', quick ? 50 : 200, 100, 1000);
  figures.settle_vs_sqlite_memory = memory.ratio;
  figures.memory = memory;
  say(`(b) memory: medpos ${memory.medpos_per_s.toFixed(0)}/s, raw SQLite ${memory.raw_per_s.toFixed(0)}/s, ratio ${memory.ratio.toFixed(3)}`);
  const small = 10_000;
  const large = quick ? 100_000 : 1_000_000;
  progress.tick(1, '(c) latency');
  const l1 = await latencyAt(small, quick ? 50 : 200);
  const l2 = await latencyAt(large, quick ? 50 : 200);
  figures.latency = { rows_small: small, ms_small: l1, rows_large: large, ms_large: l2, growth: l2 / l1 };
  say(`(c) latency: ${l1.toFixed(2)} ms at ${small} rows, ${l2.toFixed(2)} ms at ${large} rows, growth ${(l2 / l1).toFixed(2)}x`);
  progress.tick(1, '(d) replay');
  figures.replay = await replayThroughput(quick ? 2_000 : 10_000);
  say(`(d) replay: ${figures.replay.steps_per_s.toFixed(0)} steps/s over ${figures.replay.steps} steps`);
  progress.tick(1, '(i) long stays');
  figures.inpatient = await inpatientFigures(dir, quick);
  figures.ipt_settle_10k_vs_1k = figures.inpatient.ipt_settle_10k_vs_1k;
  say(`(i) stays: 2301 ${figures.inpatient.ipt_2301_lines_per_s.toFixed(0)} lines/s vs 2204 ${figures.inpatient.opt_2204_lines_per_s.toFixed(0)} lines/s; 2304 ${Object.values(figures.inpatient.settle_ms as Record<string, number>).map((v) => v.toFixed(1)).join(' / ')} ms at 100 / 1k / 10k lines, 10k vs 1k ${figures.ipt_settle_10k_vs_1k.toFixed(2)}x`);
  progress.tick(1, '(e) devices');
  Object.assign(figures, await deviceFigures());
  say(`(e) devices: ${JSON.stringify({ card: figures.card, scanner: figures.scanner })}`);
  progress.tick(1, '(f) hostile input');
  figures.hostile = await hostileInput(quick ? 1_000 : 100_000);
  progress.tick(1, '(h) the command line');
  try {
    const cli = await benchCli({ quick });
    figures.cli = cli;
    figures.cli_call_vs_node = cli.cli_call_vs_node;
    figures.cli_help_vs_node = cli.cli_help_vs_node;
    say(`(h) cli: medpos call 1101 ${cli.call_ms.toFixed(0)} ms, medpos --help ${cli.help_ms.toFixed(0)} ms, node -e 0 ${cli.node_ms.toFixed(0)} ms: ${cli.cli_call_vs_node.toFixed(2)}x and ${cli.cli_help_vs_node.toFixed(2)}x`);
  } catch (err) {
    figures.cli = { failed: (err as Error).message.slice(0, 400) };
  }
  progress.tick(1, '(g) over HTTP');
  const gate = pgGate();
  if (!gate.ok) {
    figures.http = { skipped: gate.reason };
  } else {
    try {
      const http = await benchHttp({ quick, say });
      figures.http = http;
      figures.pg_vs_raw_16 = http.pg_vs_raw_16;
      figures.pg_scaling_16_vs_1 = http.pg_scaling_16_vs_1;
      say(`(g) http: medpos on PostgreSQL at 16 clients is ${http.pg_vs_raw_16.toFixed(2)} of raw pg, ${http.pg_scaling_16_vs_1.toFixed(2)}x its rate at 1 client`);
    } catch (err) {
      figures.http = { failed: (err as Error).message.slice(0, 400) };
    }
  }
  progress.tick(1);
} finally {
  progress.done();
  rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(`${table(figures)}\n`);
const fuzzFailures = Object.values(figures.hostile as Record<string, { failures: number }>).reduce((n, h) => n + h.failures, 0);
if (fuzzFailures) {
  say(`bench: ${fuzzFailures} hostile-input properties failed (see above)`);
  process.exitCode = 1;
}
if (figures.ipt_settle_10k_vs_1k > 12) {
  say(`bench: 2304 at 10k lines costs ${figures.ipt_settle_10k_vs_1k.toFixed(2)}x its cost at 1k (at most 12): a per-line cost crept in`);
  process.exitCode = 1;
}
for (const figure of ['card', 'scanner', 'cli', 'http'] as const) {
  if (figures[figure]?.failed) {
    say(`bench: the ${figure} figure failed: ${figures[figure].failed}`);
    process.exitCode = 1;
  }
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
if (values.svg) writeFileSync(values.svg, chart(figures));

function table(f: Figures): string {
  const rows = [
    ['(a) durable settlements/s', f.durable!.medpos_per_s.toFixed(0), f.durable!.raw_per_s.toFixed(0), f.durable!.ratio.toFixed(3)],
    ['(b) in-memory settlements/s', f.memory!.medpos_per_s.toFixed(0), f.memory!.raw_per_s.toFixed(0), f.memory!.ratio.toFixed(3)],
    [`(c) latency ms, ${f.latency!.rows_small} vs ${f.latency!.rows_large} rows`, f.latency!.ms_small.toFixed(2), f.latency!.ms_large.toFixed(2), f.latency!.growth.toFixed(2)],
    ['(d) replay steps/s', f.replay!.steps_per_s.toFixed(0), '', ''],
    ['(i) 2301 vs 2204 lines/s (durable)', f.inpatient!.ipt_2301_lines_per_s.toFixed(0), f.inpatient!.opt_2204_lines_per_s.toFixed(0), f.inpatient!.ipt_2301_vs_2204.toFixed(2)],
    ['(i) 2304 ms at 1k vs 10k lines', f.inpatient!.settle_ms.lines_1k.toFixed(1), f.inpatient!.settle_ms.lines_10k.toFixed(1), f.ipt_settle_10k_vs_1k.toFixed(2)],
    f.scanner?.skipped || f.scanner?.failed
      ? ['(e) scanner scans/s (pty)', f.scanner.failed ? `FAILED: ${f.scanner.failed}` : `skipped: ${f.scanner.skipped}`, '', '']
      : ['(e) scanner scans/s (pty), driver vs bare serialport', f.scanner.driver_scans_per_s.toFixed(0), f.scanner.bare_scans_per_s.toFixed(0), f.scanner.ratio.toFixed(3)],
    ...(f.card?.skipped || f.card?.failed
      ? [['(e) card', f.card.failed ? `FAILED: ${f.card.failed}` : `skipped: ${f.card.skipped}`, '', '']]
      : [
          [`(e) card insertion to identity ms (${f.card.apdus} APDUs; pcscd polls every 400 ms)`, Number(f.card.insertToIdentityMs).toFixed(1), '', ''],
          ['(e) card read ms, driver vs a bare pcsclite loop of the same APDUs', Number(f.card.driverReadMs).toFixed(2), Number(f.card.bareLoopMs).toFixed(2), (Number(f.card.bareLoopMs) / Number(f.card.driverReadMs)).toFixed(3)],
        ]),
    ...Object.entries(f.hostile as Record<string, { cases: number; failures: number; cases_per_s: number }>).map(([boundary, h]) => [
      `(f) hostile input, ${boundary}: cases (failed), cases/s`,
      `${h.cases} (${h.failures})`,
      h.cases_per_s.toFixed(0),
      '',
    ]),
    ...(f.cli?.failed
      ? [['(h) the command line', `FAILED: ${f.cli.failed}`, '', '']]
      : [
          ['(h) `medpos call 1101` ms, vs `node -e 0`', f.cli!.call_ms.toFixed(0), f.cli!.node_ms.toFixed(0), f.cli!.cli_call_vs_node.toFixed(2)],
          ['(h) `medpos --help` ms, vs `node -e 0`', f.cli!.help_ms.toFixed(0), f.cli!.node_ms.toFixed(0), f.cli!.cli_help_vs_node.toFixed(2)],
        ]),
    ...(f.http?.skipped || f.http?.failed
      ? [['(g) over HTTP', f.http.failed ? `FAILED: ${f.http.failed}` : `skipped: ${f.http.skipped}`, '', '']]
      : (['sqlite', 'pg'] as const).flatMap((engine) =>
          (f.http.curves[engine] as { clients: number; per_s: number; p50_ms: number; p99_ms: number }[]).map((l, k) => {
            const raw = f.http.curves.raw_pg[k] as { per_s: number; p50_ms: number; p99_ms: number };
            return [
              `(g) ${engine} settlements/s over HTTP at ${l.clients} clients (p50/p99 ms), vs raw pg`,
              `${l.per_s.toFixed(0)} (${l.p50_ms.toFixed(1)}/${l.p99_ms.toFixed(1)})`,
              `${raw.per_s.toFixed(0)} (${raw.p50_ms.toFixed(1)}/${raw.p99_ms.toFixed(1)})`,
              (l.per_s / raw.per_s).toFixed(3),
            ];
          }),
        )),
  ];
  // (h)'s ratio is medpos's wall time over node's (the targets: call within 3, help within 2)
  // ratio: the baseline's cost over medpos's (1.0 = no overhead; (c) is the growth of latency instead)
  const head = '| figure | medpos | baseline | ratio |\n|---|---|---|---|';
  return [head, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function chart(f: Figures): string {
  const bars = [
    ['durable medpos', f.durable!.medpos_per_s],
    ['durable raw', f.durable!.raw_per_s],
    ['memory medpos', f.memory!.medpos_per_s],
    ['memory raw', f.memory!.raw_per_s],
  ] as const;
  const max = Math.max(...bars.map((b) => b[1]));
  const rows = bars
    .map(([label, v], i) => {
      const y = 30 + i * 34;
      const w = Math.max(1, (v / max) * 420);
      return `<text x="10" y="${y + 16}" font-size="13">${label}</text><rect x="130" y="${y}" width="${w.toFixed(1)}" height="24" fill="${label.endsWith('raw') ? '#9aa5b1' : '#2f6fb0'}"/><text x="${(136 + w).toFixed(1)}" y="${y + 16}" font-size="12">${v.toFixed(0)}/s</text>`;
    })
    .join('');
  const curve = f.http?.curves ? httpCurve(f.http.curves, 190) : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="${curve ? 430 : 180}" font-family="sans-serif"><text x="10" y="18" font-size="14" font-weight="bold">Settlements per second (higher is better)</text>${rows}${curve}</svg>\n`;
}

/** (g): settlements per second against concurrent clients (log scale), one line per server. */
function httpCurve(curves: Record<string, { clients: number; per_s: number }[]>, top: number): string {
  const series = [
    ['pg', 'medpos serve, PostgreSQL', '#2f6fb0'],
    ['raw_pg', 'raw pg baseline', '#9aa5b1'],
    ['sqlite', 'medpos serve, SQLite', '#c2703d'],
  ] as const;
  const max = Math.max(...Object.values(curves).flat().map((l) => l.per_s), 1);
  const x = (clients: number) => 70 + (Math.log(clients) / Math.log(64)) * 480;
  const y = (v: number) => top + 200 - (v / max) * 170;
  const axis = [1, 4, 16, 64].map((c) => `<text x="${x(c).toFixed(1)}" y="${top + 218}" font-size="11" text-anchor="middle">${c}</text>`).join('');
  const lines = series
    .map(([key, label, color], k) => {
      const pts = (curves[key] ?? []).map((l) => `${x(l.clients).toFixed(1)},${y(l.per_s).toFixed(1)}`).join(' ');
      const dots = (curves[key] ?? []).map((l) => `<circle cx="${x(l.clients).toFixed(1)}" cy="${y(l.per_s).toFixed(1)}" r="3" fill="${color}"/>`).join('');
      return `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>${dots}<text x="440" y="${top + 14 + k * 16}" font-size="12" fill="${color}">${label}</text>`;
    })
    .join('');
  return `<text x="10" y="${top}" font-size="14" font-weight="bold">(g) over HTTP: settlements/s by concurrent clients (max ${max.toFixed(0)}/s)</text><line x1="70" y1="${top + 200}" x2="560" y2="${top + 200}" stroke="#333"/>${axis}${lines}`;
}
