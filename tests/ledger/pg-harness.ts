/**
 * The PostgreSQL engine's contract harness: fresh ledgers in new databases of one private cluster
 * (tests/helpers/pg-cluster.ts), each owned by a role that is not a superuser.
 */
import pg from 'pg';
import { openPgLedger } from '../../src/ledger/pg.ts';
import type { PgCluster } from '../helpers/pg-cluster.ts';
import type { EngineHarness, FreshLedger } from './contract.ts';

/** `?` placeholders to PostgreSQL's `$n`. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export async function rawQuery(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(numbered(sql), params)).rows;
  } finally {
    await c.end();
  }
}

export function pgHarness(cluster: () => PgCluster): EngineHarness {
  return {
    engine: 'postgres',
    async fresh(): Promise<FreshLedger> {
      const url = await cluster().createDatabase();
      return { store: await openPgLedger(url), open: () => openPgLedger(url), sibling: () => openPgLedger(url), raw: (sql, params) => rawQuery(url, sql, params) };
    },
    async otherSchema() {
      const url = await cluster().createDatabase();
      await rawQuery(url, 'CREATE TABLE messages (msgid TEXT PRIMARY KEY, body_hash TEXT NOT NULL)');
      await rawQuery(url, "INSERT INTO messages VALUES ('M1', 'x')");
      await rawQuery(url, 'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      await rawQuery(url, "INSERT INTO meta VALUES ('schema_version', '1')");
      const tables = async () => Number((await rawQuery(url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"))[0]!.n);
      return { open: () => openPgLedger(url), tables };
    },
  };
}
