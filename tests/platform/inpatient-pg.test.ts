/**
 * The inpatient chain once on PostgreSQL (a private cluster, as the ledger contract runs): stays with
 * refunds, mid-stay and final settlements and their cancellations, the same invariants as on SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgLedger } from '../../src/ledger/pg.ts';
import { pgAvailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { loadExampleI, playStay, type StayPlan } from './stay-harness.ts';

let cluster: PgCluster | undefined;
const withPg = pgAvailable('the inpatient chain on PostgreSQL');

beforeAll(async () => {
  if (withPg) cluster = await startPgCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const PLANS: StayPlan[] = [
  // I4's shape: a mid-stay settlement, then lines with a refund, then the final one
  { patient: 3, acct: true, batches: [{ lines: [{ code: 5, pricFen: 5000, cnt: 5, refund: false }, { code: 6, pricFen: 25_000, cnt: 4, refund: false }], mid: true }, { lines: [{ code: 1, pricFen: 200_000, cnt: 1, refund: false }, { code: 7, pricFen: 10_000, cnt: 3, refund: false }, { code: 7, pricFen: 10_000, cnt: 1, refund: true }], mid: false }] },
  // I1's patient (caps nearly used), I3's (every fund of 390)
  { patient: 0, acct: true, batches: [{ lines: [{ code: 2, pricFen: 30_000, cnt: 5, refund: false }, { code: 3, pricFen: 500_000, cnt: 1, refund: false }, { code: 4, pricFen: 55_000, cnt: 3, refund: false }], mid: false }] },
  { patient: 2, acct: false, batches: [{ lines: [{ code: 1, pricFen: 8_200_000, cnt: 1, refund: false }], mid: true }, { lines: [{ code: 2, pricFen: 200_000, cnt: 2, refund: false }, { code: 2, pricFen: 200_000, cnt: 1, refund: true }], mid: false }] },
];

describe.skipIf(!withPg)('the inpatient chain on PostgreSQL', () => {
  it('settles stays mid-stay and final with every invariant, and cancels them back to where they started', async () => {
    const ledger = await openPgLedger(await cluster!.createDatabase());
    try {
      await loadExampleI(ledger);
      let settled = 0;
      for (const plan of PLANS) settled += await playStay(ledger, plan);
      expect(settled).toBe(5);
      await ledger.seal();
      expect(await ledger.verifyChain()).toMatchObject({ ok: true });
    } finally {
      await ledger.close();
    }
  }, 60_000);
});
