/** Opens the ledger a `--db` names: a SQLite file path (or ':memory:'), or a PostgreSQL URL. */
import { SqliteLedger } from './sqlite.ts';
import type { LedgerStore } from './types.ts';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The ledger at `location`; a SQLite file that does not exist yet is created empty. */
export async function openLedger(location: string, opts: { poolSize?: number; numberBlock?: number } = {}): Promise<LedgerStore> {
  if (isPostgresUrl(location)) {
    const { openPgLedger } = await import('./pg.ts'); // loaded only when asked for: SQLite users need no pg driver
    return openPgLedger(location, opts);
  }
  return new SqliteLedger(location);
}
