/**
 * Scenario replay: a world, a clock, and steps (a transaction with its input, and what its response
 * must contain). Each scenario runs against a fresh in-memory ledger. Format: README, "Scenarios".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { FixedClock, localDate } from '../core/clock.ts';
import { parseWorld, readWorldFiles } from '../core/world.ts';
import { Ledger } from '../ledger/ledger.ts';
import { newPlatformKey } from '../platform/ecert.ts';
import { createPlatform, fillEnvelope } from '../app.ts';

const step = z.strictObject({
  name: z.string().optional(),
  /** Move the clock before this step (ISO 8601 with offset). */
  now: z.string().optional(),
  call: z.string().regex(/^(\d{4}[A-Z]?|ec\.query)$/, 'must be a transaction code'),
  fixmedins_code: z.string().optional(),
  /** Envelope fields to set (msgid, for a retry); the rest is filled as `medpos call` fills it. */
  envelope: z.record(z.string(), z.unknown()).optional(),
  input: z.record(z.string(), z.unknown()),
  /** Dotted paths into the response and the values they must hold. */
  expect: z.record(z.string(), z.unknown()).default({}),
  /** Names for values of the response, usable as "${name}" in later inputs. */
  save: z.record(z.string(), z.string()).optional(),
});

export const scenarioSchema = z.strictObject({
  format: z.literal('medpos-scenario/1'),
  name: z.string().min(1),
  description: z.string().optional(),
  world: z.string().min(1),
  now: z.string(),
  fixmedins_code: z.string().optional(),
  steps: z.array(step).min(1),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export function lookup(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) && /^\d+$/.test(key) ? cur[Number(key)] : (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function substitute(value: unknown, vars: Map<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{(\w+)\}$/.exec(value);
    if (whole) {
      if (!vars.has(whole[1]!)) throw new Error(`\${${whole[1]}} was not saved by an earlier step`);
      return vars.get(whole[1]!);
    }
    return value.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      if (!vars.has(name)) throw new Error(`\${${name}} was not saved by an earlier step`);
      return String(vars.get(name));
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

function same(expected: unknown, got: unknown): boolean {
  if (typeof expected === 'number' && typeof got === 'number') return Math.abs(expected - got) < 1e-9;
  return JSON.stringify(expected) === JSON.stringify(got);
}

export interface ReplayResult {
  passed: number;
  failed: number;
}

/** Runs one scenario; reports each differing step through `report`. */
export function runScenario(scenario: Scenario, baseDir: string, report: (line: string) => void): ReplayResult {
  const raw = readWorldFiles(resolve(baseDir, scenario.world));
  const world = parseWorld(raw);
  const clock = new FixedClock(scenario.now);
  const ledger = new Ledger(':memory:');
  const result = { passed: 0, failed: 0 };
  try {
    ledger.loadWorld(raw, world, Number(localDate(clock).slice(0, 4)), newPlatformKey());
    const platform = createPlatform(ledger, clock);
    const vars = new Map<string, unknown>();
    scenario.steps.forEach((s, i) => {
      const label = `${scenario.name} step ${i + 1}${s.name ? ` (${s.name})` : ''} [${s.call}]`;
      const diffs: string[] = [];
      try {
        if (s.now) clock.set(s.now);
        const input = substitute(s.input, vars) as Record<string, unknown>;
        const filled = fillEnvelope(platform, s.call, JSON.stringify(input), s.fixmedins_code ?? scenario.fixmedins_code);
        const request = { ...(filled.request as Record<string, unknown>), ...(substitute(s.envelope ?? {}, vars) as Record<string, unknown>) };
        const response = platform.call(request, { fillMsgid: !s.envelope?.msgid });
        for (const [path, want] of Object.entries(s.expect)) {
          const got = lookup(response, path);
          if (!same(want, got)) diffs.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
        }
        if (diffs.length && response.infcode !== 0 && !('infcode' in s.expect && s.expect.infcode === -1)) diffs.push(`(refused: ${response.err_code}: ${response.err_msg})`);
        for (const [name, path] of Object.entries(s.save ?? {})) vars.set(name, lookup(response, path));
      } catch (err) {
        diffs.push(`could not run: ${(err as Error).message}`);
      }
      if (diffs.length) {
        result.failed++;
        for (const d of diffs) report(`FAIL ${label}: ${d}`);
      } else {
        result.passed++;
      }
    });
  } finally {
    ledger.close();
  }
  return result;
}

function scenarioFiles(path: string): string[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .sort()
      .flatMap((name) => (name.endsWith('.json') || statSync(join(path, name)).isDirectory() ? scenarioFiles(join(path, name)) : []));
  }
  return [path];
}

/** `medpos replay FILE|DIR...`: counts steps passed and failed over every scenario. */
export async function replayPaths(paths: string[], report: (line: string) => void): Promise<ReplayResult> {
  const total = { passed: 0, failed: 0 };
  for (const file of paths.flatMap((p) => {
    try {
      return scenarioFiles(p);
    } catch {
      report(`FAIL ${p}: no such file or directory`);
      total.failed++;
      return [];
    }
  })) {
    let scenario: Scenario;
    try {
      const parsed = scenarioSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) {
        report(`FAIL ${file}: not a valid scenario: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        total.failed++;
        continue;
      }
      scenario = parsed.data;
    } catch (err) {
      report(`FAIL ${file}: ${(err as Error).message}`);
      total.failed++;
      continue;
    }
    try {
      const r = runScenario(scenario, dirname(file), report);
      total.passed += r.passed;
      total.failed += r.failed;
    } catch (err) {
      report(`FAIL ${file}: ${(err as Error).message}`);
      total.failed++;
    }
  }
  return total;
}
