/**
 * Every shipped scenario replayed on PostgreSQL, a private cluster the test starts (skipped with the
 * reason printed without the server binaries, unless MEDPOS_PG=required), with the same expected
 * answers, to the fen, as `medpos replay fixtures/scenarios` checks on SQLite (tests/cli/cli.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgLedger } from '../../src/ledger/pg.ts';
import type { LedgerStore } from '../../src/ledger/types.ts';
import { runScenario, scenarioSchema } from '../../src/replay/replay.ts';
import { pgAvailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';

const DIR = 'fixtures/scenarios';
const SCENARIOS = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();

let cluster: PgCluster | undefined;
const withPg = pgAvailable('the shipped scenarios on PostgreSQL');
beforeAll(async () => {
  if (withPg) cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const onPg = async (): Promise<LedgerStore> => openPgLedger(await cluster!.createDatabase());

describe.skipIf(!withPg)('every shipped scenario on PostgreSQL', () => {
  for (const name of SCENARIOS) {
    it(`replays ${name} green`, async () => {
      const scenario = scenarioSchema.parse(JSON.parse(readFileSync(`${DIR}/${name}.json`, 'utf8')));
      const failures: string[] = [];
      const result = await runScenario(scenario, DIR, (l) => failures.push(l), onPg);
      expect(failures).toEqual([]);
      expect(result).toEqual({ passed: scenario.steps.length, failed: 0 });
    }, 60_000);
  }
});
