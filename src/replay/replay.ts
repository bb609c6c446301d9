/**
 * Scenario replay: a world, a clock, and steps (a transaction with its input, and what its response
 * must contain). Each scenario runs against a fresh in-memory ledger. Format: README, "Scenarios".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { FixedClock, localDate } from '../core/clock.ts';
import { parseWorld, readWorldFiles } from '../core/world.ts';
import { SqliteLedger } from '../ledger/sqlite.ts';
import type { LedgerStore } from '../ledger/types.ts';
import { issueEcert, newPlatformKey } from '../platform/ecert.ts';
import type { Platform } from '../platform/platform.ts';
import type { World, WorldIndex } from '../core/world.ts';
import { CardError, type CardIdentity } from '../drivers/card/index.ts';
import { openCardLane, type CardLane } from './card-lane.ts';
import type { ScanEvent } from '../drivers/scanner/driver.ts';
import { openScannerLane, type ScannerLane } from './scanner-lane.ts';
import { createPlatform, fillEnvelope } from '../app.ts';

const common = {
  name: z.string().optional(),
  /** Move the clock before this step (ISO 8601 with offset). */
  now: z.string().optional(),
  fixmedins_code: z.string().optional(),
  /** Dotted paths into the step's result and the values they must hold. */
  expect: z.record(z.string(), z.unknown()).default({}),
  /** Names for values of the result, usable as "${name}" in later inputs. */
  save: z.record(z.string(), z.string()).optional(),
};

/** A platform transaction; its result is the response envelope. */
const callStep = z.strictObject({
  ...common,
  call: z.string().regex(/^(\d{4}[A-Z]?|ec\.query)$/, 'must be a transaction code'),
  /** Envelope fields to set (msgid, for a retry); the rest is filled as `medpos call` fills it. */
  envelope: z.record(z.string(), z.unknown()).optional(),
  input: z.record(z.string(), z.unknown()),
});

/** A person shows their e-certificate: a code issued now (or `age_s` ago) is scanned and sent to ec.query. */
const showEcertStep = z.strictObject({
  ...common,
  show_ecert: z.strictObject({ psn_no: z.string().min(1), ttl_s: z.number().int().positive().optional(), age_s: z.number().int().min(0).optional() }),
});

/** The scanner reads a line (a barcode, a trace code, anything); the result says how it was classified and which item it names. */
const scanStep = z.strictObject({ ...common, scan: z.string().max(200_000) });

const presented = {
  /** What the cashier types for a bound relative presenting the holder's card (the holder's-card flow). */
  certno: z.string().optional(),
  psn_name: z.string().optional(),
};

/** A card goes into the reader: it is read (with the PIN, if given or the world asks for one) and identified by 1101. */
const insertCardStep = z.strictObject({
  ...common,
  insert_card: z.strictObject({ card_no: z.string().min(1), pin: z.string().optional(), ...presented }),
});

/** The patient types a PIN for the card in the reader; the card is then read and identified as for insert_card. */
const enterPinStep = z.strictObject({ ...common, enter_pin: z.strictObject({ pin: z.string(), ...presented }) });

/** The card comes out of the reader. */
const removeCardStep = z.strictObject({ ...common, remove_card: z.literal(true) });

const step = z.union([callStep, showEcertStep, scanStep, insertCardStep, enterPinStep, removeCardStep]);
type Step = z.infer<typeof step>;

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

/** What the devices of a scenario are: opened on first use, closed at its end. */
class Devices {
  private scanner: ScannerLane | undefined;
  private reader: CardLane | undefined;
  constructor(private readonly world: World) {}
  async scan(text: string): Promise<ScanEvent> {
    this.scanner ??= await openScannerLane();
    return this.scanner.scan(text);
  }
  async cardReader(): Promise<CardLane> {
    this.reader ??= await openCardLane(this.world);
    return this.reader;
  }
  async close(): Promise<void> {
    await this.scanner?.close();
    await this.reader?.close();
  }
}

/** Reads the card in the reader and asks the platform who it is (1101, type 03), as a checkout does. */
async function identifyCard(c: StepContext, institution: string | undefined, shown: { pin?: string | undefined; certno?: string | undefined; psn_name?: string | undefined }) {
  const lane = await c.devices.cardReader();
  if (c.world.policy.card_pin_required && shown.pin === undefined) {
    return { card: null, card_error: { code: 'pin_required', message: 'this world asks for the PIN before the card identifies anyone' } };
  }
  let card: CardIdentity;
  try {
    card = await lane.read(shown.pin);
  } catch (err) {
    if (!(err instanceof CardError)) throw err;
    return { card: null, card_error: { code: err.code, step: err.step, message: err.message, tries_left: err.triesLeft ?? null } };
  }
  const data = { mdtrt_cert_type: '03', mdtrt_cert_no: card.card_no, card_sn: card.card_sn, certno: shown.certno ?? card.certno, psn_name: shown.psn_name ?? (shown.certno ? undefined : card.psn_name) };
  const filled = fillEnvelope(c.platform, '1101', JSON.stringify({ data }), institution);
  return { card, card_error: null, ...(await c.platform.call(filled.request, { fillMsgid: true })) };
}

interface StepContext {
  platform: Platform;
  clock: FixedClock;
  ledger: LedgerStore;
  devices: Devices;
  world: WorldIndex;
  fixmedins_code: string | undefined;
  vars: Map<string, unknown>;
}

/** Runs one step; returns what its expectations are matched against. */
async function runStep(s: Step, c: StepContext): Promise<unknown> {
  const institution = s.fixmedins_code ?? c.fixmedins_code;
  if ('call' in s) {
    const input = substitute(s.input, c.vars) as Record<string, unknown>;
    const filled = fillEnvelope(c.platform, s.call, JSON.stringify(input), institution);
    const request = typeof filled.request === 'object' ? { ...(filled.request as Record<string, unknown>), ...(substitute(s.envelope ?? {}, c.vars) as Record<string, unknown>) } : filled.request;
    return await c.platform.call(request, { fillMsgid: filled.filled && !s.envelope?.msgid });
  }
  if ('show_ecert' in s) {
    const { psn_no, ttl_s, age_s = 0 } = substitute(s.show_ecert, c.vars) as typeof s.show_ecert;
    const then = { now: () => new Date(c.clock.now().getTime() - age_s * 1000), offsetMinutes: c.clock.offsetMinutes };
    const code = await issueEcert(c.ledger, then, psn_no, ttl_s);
    const scan = await c.devices.scan(code);
    if (scan.kind !== 'ecert') return { scan };
    const filled = fillEnvelope(c.platform, 'ec.query', JSON.stringify({ data: { orgId: institution, businessType: '01101', ecQrCode: scan.text } }), institution);
    return { scan, ...(await c.platform.call(filled.request, { fillMsgid: true })) };
  }
  if ('insert_card' in s) {
    const shown = substitute(s.insert_card, c.vars) as typeof s.insert_card;
    await (await c.devices.cardReader()).insert(shown.card_no);
    return identifyCard(c, institution, shown);
  }
  if ('enter_pin' in s) return identifyCard(c, institution, substitute(s.enter_pin, c.vars) as typeof s.enter_pin);
  if ('remove_card' in s) {
    await (await c.devices.cardReader()).remove();
    return { removed: true };
  }
  const scan = await c.devices.scan(substitute(s.scan, c.vars) as string);
  const item = scan.kind === 'ean13' || scan.kind === 'trace' ? c.world.itemByBarcode(scan.text) : undefined;
  return { ...scan, item: item?.hilist_code ?? null, item_name: item?.hilist_name ?? null };
}

export interface ReplayResult {
  passed: number;
  failed: number;
}

/**
 * Runs one scenario; reports each differing step through `report`. `emptyLedger` opens the fresh,
 * empty ledger it runs in: by default a SQLite one in memory (tests pass a PostgreSQL one too).
 */
export async function runScenario(
  scenario: Scenario,
  baseDir: string,
  report: (line: string) => void,
  emptyLedger: () => Promise<LedgerStore> = async () => new SqliteLedger(':memory:'),
): Promise<ReplayResult> {
  const raw = readWorldFiles(resolve(baseDir, scenario.world));
  const world = parseWorld(raw);
  const clock = new FixedClock(scenario.now);
  const ledger = await emptyLedger();
  const devices = new Devices(world);
  const result = { passed: 0, failed: 0 };
  try {
    await ledger.loadWorld(raw, world, Number(localDate(clock).slice(0, 4)), newPlatformKey());
    const c: StepContext = { platform: createPlatform(ledger, clock), clock, ledger, devices, world: ledger.world(), fixmedins_code: scenario.fixmedins_code, vars: new Map() };
    for (const [i, s] of scenario.steps.entries()) {
      const what = 'call' in s ? s.call : Object.keys(s).find((k) => !(k in common) && k !== 'expect') ?? 'step';
      const label = `${scenario.name} step ${i + 1}${s.name ? ` (${s.name})` : ''} [${what}]`;
      const diffs: string[] = [];
      try {
        if (s.now) clock.set(s.now);
        const got = await runStep(s, c);
        for (const [path, wanted] of Object.entries(s.expect)) {
          const want = substitute(wanted, c.vars); // an id saved earlier, e.g. the record that undid a settlement
          const value = lookup(got, path);
          if (!same(want, value)) diffs.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(value)}`);
        }
        const refusal = got as { infcode?: number; err_code?: string; err_msg?: string };
        if (diffs.length && refusal.infcode === -1 && s.expect.infcode !== -1) diffs.push(`(refused: ${refusal.err_code}: ${refusal.err_msg})`);
        for (const [name, path] of Object.entries(s.save ?? {})) c.vars.set(name, lookup(got, path));
      } catch (err) {
        diffs.push(`could not run: ${(err as Error).message}`);
      }
      if (diffs.length) {
        result.failed++;
        for (const d of diffs) report(`FAIL ${label}: ${d}`);
      } else {
        result.passed++;
      }
    }
  } finally {
    await devices.close();
    await ledger.close();
  }
  return result;
}

export function scenarioFiles(path: string): string[] {
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
      const r = await runScenario(scenario, dirname(file), report);
      total.passed += r.passed;
      total.failed += r.failed;
    } catch (err) {
      report(`FAIL ${file}: ${(err as Error).message}`);
      total.failed++;
    }
  }
  return total;
}
