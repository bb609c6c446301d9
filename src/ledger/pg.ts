/** Placeholder for the PostgreSQL engine, written on another branch; the merge replaces this file. */
import type { LedgerStore } from './types.ts';

export async function openPgLedger(_url: string): Promise<LedgerStore> {
  throw new Error('PostgreSQL engine not built yet');
}
