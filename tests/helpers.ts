/** Shared test helpers: worlds, an in-memory platform, requests. */
import { FixedClock, localDate } from '../src/core/clock.ts';
import { parseWorld, readWorldFiles, WorldIndex } from '../src/core/world.ts';
import { SqliteLedger } from '../src/ledger/sqlite.ts';
import { createPlatform } from '../src/app.ts';
import { newPlatformKey } from '../src/platform/ecert.ts';
import type { LedgerStore, LedgerTx } from '../src/ledger/types.ts';

export const WORLDS = {
  demo: 'fixtures/worlds/demo',
  h: 'fixtures/worlds/example-h',
  p: 'fixtures/worlds/example-p',
} as const;

export function worldIndex(dir: string): WorldIndex {
  return new WorldIndex(parseWorld(readWorldFiles(dir)));
}

/** A platform over a fresh ledger (in memory unless a path is given) holding `worldDir`. */
export async function freshPlatform(worldDir: string, now = '2026-11-20T10:00:00+08:00', path = ':memory:') {
  const clock = new FixedClock(now);
  const ledger = new SqliteLedger(path);
  const raw = readWorldFiles(worldDir);
  await ledger.loadWorld(raw, parseWorld(raw), Number(localDate(clock).slice(0, 4)), newPlatformKey());
  const platform = createPlatform(ledger, clock);
  return { clock, ledger, platform };
}

/** A read (or write) of the ledger in one transaction, for checks. */
export function inTx<T>(ledger: LedgerStore, fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
  return ledger.transaction(fn);
}

/** A whole request envelope with a unique msgid. */
export function envelope(infno: string, fixmedins_code: string, input: Record<string, unknown>, msgid?: string) {
  seq += 1;
  return {
    infno,
    msgid: msgid ?? uniqueMsgid(),
    fixmedins_code,
    insuplc_admdvs: '440300',
    mdtrtarea_admvs: '440300',
    infver: 'V1.0',
    input,
  };
}

let seq = 0;
/** A msgid unique within the test process. */
export function uniqueMsgid(prefix = 'T'): string {
  seq += 1;
  return `${prefix}${process.pid}-${seq}`.slice(0, 30);
}
