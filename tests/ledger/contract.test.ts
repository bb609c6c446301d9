/**
 * The ledger contract (contract.ts) on every engine. PostgreSQL runs on a private cluster the test
 * starts itself; without the server binaries it skips with the reason printed, unless
 * MEDPOS_PG=required.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { pgAvailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { ledgerContract, type EngineHarness } from './contract.ts';
import { pgHarness } from './pg-harness.ts';
import { sqliteHarness } from './sqlite-harness.ts';
import { stayContract } from './stay-contract.ts';

let cluster: PgCluster | undefined;
const withPg = pgAvailable('the PostgreSQL ledger contract');

beforeAll(async () => {
  if (withPg) cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const engines: EngineHarness[] = [sqliteHarness(), ...(withPg ? [pgHarness(() => cluster!)] : [])];

describe.each(engines.map((h) => [h.engine, h] as const))('the ledger on %s', (_engine, harness) => {
  ledgerContract(harness);
  stayContract(harness);
});
