/** Wiring shared by the CLI, the terminal and replay: a ledger (SQLite file or PostgreSQL URL), a world, the platform. */
import { existsSync, rmSync } from 'node:fs';
import { localDate, type Clock } from './core/clock.ts';
import { parseWorld, readWorldFiles, type World } from './core/world.ts';
import { isPostgresUrl, openLedger } from './ledger/open.ts';
import type { LedgerStore } from './ledger/types.ts';
import { Platform } from './platform/platform.ts';
import { ecertExtensions, newPlatformKey } from './platform/ecert.ts';
import { MAX_REQUEST_BYTES } from './platform/envelope.ts';
import { log } from './log.ts';

/** A mistake in how medpos was called: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function checkWorldDir(dir: string): World {
  return parseWorld(readWorldFiles(dir));
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/** `medpos init`: a new database holding the world; refuses to replace settlements unless `reset`. */
export async function initDatabase(location: string, worldDir: string, clock: Clock, reset: boolean) {
  const raw = readWorldFiles(worldDir);
  const world = parseWorld(raw);
  const refuseSettled = (settlements: number) => {
    if (settlements > 0 && !reset) throw new Error(`${location} already holds ${settlements} settlement record(s): use --reset to replace it`);
  };
  if (!isPostgresUrl(location) && existsSync(location)) {
    const old = await openLedger(location);
    const settlements = await old.settlementCount();
    await old.close();
    refuseSettled(settlements);
    removeDatabase(location);
  }
  const ledger = await openLedger(location);
  try {
    if (ledger.hasWorld()) {
      // only a PostgreSQL database gets here: a SQLite file was removed above
      refuseSettled(await ledger.settlementCount());
      throw new Error(`${ledger.location} already holds a world: replacing it on PostgreSQL is not built yet`);
    }
    await ledger.loadWorld(raw, world, Number(localDate(clock).slice(0, 4)), newPlatformKey());
    log.info({ db: ledger.location, world: world.world.name }, 'database initialised');
    return { db: ledger.location, world: world.world.name, institutions: world.world.institutions.length, persons: world.persons.length, cards: world.cards.length };
  } finally {
    await ledger.close();
  }
}

/** The platform with every transaction medpos speaks, e-certificates included. */
export function createPlatform(ledger: LedgerStore, clock: Clock): Platform {
  return new Platform(ledger, clock, ecertExtensions);
}

export async function openPlatform(location: string, clock: Clock) {
  if (!isPostgresUrl(location) && !existsSync(location)) throw new UsageError(`no database at ${location}: run \`medpos init --db ${location} --world DIR\` first`);
  const ledger = await openLedger(location);
  const platform = createPlatform(ledger, clock);
  return { ledger, platform, close: () => ledger.close() };
}

const PHARMACY_INFNOS = new Set(['2101', '2102', '2103']);
const HOSPITAL_INFNOS = new Set(['2201', '2202', '2203', '2204', '2205', '2206', '2207', '2208']);

function findPsnNo(value: unknown, depth = 0): string | undefined {
  if (depth > 4 || value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'psn_no' && typeof v === 'string') return v;
    const inner = findPsnNo(v, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * `medpos call` accepts a whole envelope or only its `input`; for the latter medpos fills the envelope:
 * the institution (given, or the first designated one of the right kind), the insured area of the
 * person named, and a msgid generated when the request is applied.
 */
export function fillEnvelope(platform: Platform, infno: string, text: string, fixmedinsCode: string | undefined): { request: unknown; filled: boolean } {
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES) return { request: text, filled: false }; // refused as too_large
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { request: text, filled: false }; // the platform answers with a malformed_json refusal
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { request: value, filled: false };
  const obj = value as Record<string, unknown>;
  if ('input' in obj || 'infno' in obj) {
    if (obj.infno !== undefined && obj.infno !== infno) throw new UsageError(`the envelope's infno ${String(obj.infno)} is not the command's ${infno}`);
    return { request: { ...obj, infno }, filled: false };
  }
  let world;
  try {
    world = platform.ledger.world();
  } catch {
    return { request: { infno, input: obj }, filled: true };
  }
  const kind = PHARMACY_INFNOS.has(infno) ? 'pharmacy' : HOSPITAL_INFNOS.has(infno) ? 'hospital' : undefined;
  const institution =
    fixmedinsCode !== undefined
      ? world.institutions.get(fixmedinsCode)
      : world.data.world.institutions.find((i) => i.designated && (kind === undefined || i.fixmedins_type === kind));
  const psnNo = findPsnNo(obj);
  const insured = psnNo ? world.persons.get(psnNo)?.insuinfo[0]?.insuplc_admdvs : undefined;
  return {
    request: {
      infno,
      mdtrtarea_admvs: world.data.world.admdvs,
      insuplc_admdvs: insured ?? world.data.world.admdvs,
      recer_sys_code: 'MEDPOS',
      infver: 'V1.0',
      opter_type: '1',
      opter: 'cli',
      opter_name: 'medpos cli',
      fixmedins_code: fixmedinsCode ?? institution?.fixmedins_code ?? '',
      fixmedins_name: institution?.fixmedins_name ?? '',
      input: obj,
    },
    filled: true,
  };
}
