/** The SQLite engine's contract harness: fresh ledgers in new files of a temporary directory. */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';
import type { LedgerStore } from '../../src/ledger/types.ts';
import type { EngineHarness, FreshLedger } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'medpos-contract-'));
let files = 0;
const newFile = () => join(dir, `ledger-${++files}.db`);

function rawQuery(path: string, sql: string, params: unknown[] = []): Record<string, unknown>[] {
  const db = new Database(path);
  try {
    const st = db.prepare(sql);
    return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
  } finally {
    db.close();
  }
}

export function sqliteHarness(): EngineHarness {
  return {
    engine: 'sqlite',
    async fresh(): Promise<FreshLedger> {
      const path = newFile();
      const store = new SqliteLedger(path);
      // two connections of one process wait for each other synchronously: the sibling is the store itself
      const sibling: LedgerStore = Object.assign(Object.create(store) as LedgerStore, { close: async () => undefined });
      return { store, open: async () => new SqliteLedger(path), sibling: async () => sibling, raw: async (sql, params) => rawQuery(path, sql, params) };
    },
    async otherSchema() {
      const path = newFile();
      const db = new Database(path);
      db.exec("CREATE TABLE messages (msgid TEXT PRIMARY KEY, body_hash TEXT NOT NULL); INSERT INTO messages VALUES ('M1', 'x'); PRAGMA user_version = 1;");
      db.close();
      const tables = async () => Number(rawQuery(path, "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'")[0]!.n);
      return { open: async () => new SqliteLedger(path), tables };
    },
  };
}
