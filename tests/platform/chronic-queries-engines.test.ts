/**
 * The shipped scenarios of chronic diseases, eligibility and the queries replayed on every engine:
 * SQLite, and PostgreSQL on a private cluster the test starts (skipped with the reason printed
 * without the server binaries, unless MEDPOS_PG=required).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgLedger } from '../../src/ledger/pg.ts';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';
import type { LedgerStore } from '../../src/ledger/types.ts';
import { runScenario, scenarioSchema } from '../../src/replay/replay.ts';
import { pgAvailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';

const DIR = 'fixtures/scenarios';
const SCENARIOS = ['example-c1', 'chronic-filing', 'chronic-settlement', 'eligibility-2001', 'queries-52xx', 'queries-inpatient'];

let cluster: PgCluster | undefined;
const withPg = pgAvailable('the chronic and query scenarios on PostgreSQL');
beforeAll(async () => {
  if (withPg) cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const engines: [string, () => Promise<LedgerStore>][] = [
  ['sqlite', async () => new SqliteLedger(':memory:')],
  ...(withPg ? [['postgres', async () => openPgLedger(await cluster!.createDatabase())] as [string, () => Promise<LedgerStore>]] : []),
];

describe.each(engines)('on %s', (_engine, emptyLedger) => {
  for (const name of SCENARIOS) {
    it(`replays ${name} green`, async () => {
      const scenario = scenarioSchema.parse(JSON.parse(readFileSync(`${DIR}/${name}.json`, 'utf8')));
      const failures: string[] = [];
      const result = await runScenario(scenario, DIR, (l) => failures.push(l), emptyLedger);
      expect(failures).toEqual([]);
      expect(result).toEqual({ passed: scenario.steps.length, failed: 0 });
    }, 60_000);
  }
});
