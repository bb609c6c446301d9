import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';
import { envelope, freshPlatform, WORLDS } from '../helpers.ts';

async function ledgerWithRecords() {
  const env = await freshPlatform(WORLDS.demo);
  const sale = (psn: string, certno: string, pric: number) => ({
    druginfo: { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: certno, insutype: '310', med_type: '41', medfee_sumamt: pric, acct_used_flag: '1' },
    drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric, cnt: 1, det_item_fee_sumamt: pric }],
  });
  const ids: string[] = [];
  for (const [psn, cert, pric] of [['44030000000000000005', '440305198807300554', 10], ['44030000000000000002', '440303198203140171', 20], ['44030000000000000005', '440305198807300554', 30]] as const) {
    const r = await env.platform.call(envelope('2102', 'P44030000001', sale(psn, cert, pric)));
    ids.push((r.output as { setlinfo: { setl_id: string; mdtrt_id: string } }).setlinfo.setl_id);
  }
  const first = (await env.ledger.transaction((tx) => tx.settlement(ids[0]!)))!;
  expect((await env.platform.call(envelope('2103', 'P44030000001', { data: { setl_id: first.setl_id, mdtrt_id: first.mdtrt_id, psn_no: first.psn_no } }))).infcode).toBe(0);
  return { ...env, ids };
}

describe('the ledger file', () => {
  it('refuses a file made for another schema, and leaves it as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medpos-schema-'));
    const path = join(dir, 'old.db');
    try {
      const old = new Database(path);
      old.exec("CREATE TABLE messages (msgid TEXT PRIMARY KEY, body_hash TEXT NOT NULL); INSERT INTO messages VALUES ('M1', 'x'); PRAGMA user_version = 1;");
      old.close();
      expect(() => new SqliteLedger(path)).toThrow(/schema 1; this medpos needs schema \d+: keep that file aside and make a new one with `medpos init`/);
      const after = new Database(path);
      expect(after.prepare('SELECT count(*) AS n FROM sqlite_schema').get()).toEqual({ n: 2 });
      after.close();
      const fresh = new SqliteLedger(join(dir, 'new.db'));
      await fresh.close();
      await new SqliteLedger(join(dir, 'new.db')).close(); // opens again: the schema it made is its own
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the tamper-evident ledger', () => {
  it('is intact after settlements and a cancellation', async () => {
    const { ledger } = await ledgerWithRecords();
    expect(await ledger.verifyChain()).toEqual({ ok: true, records: 4 });
  });

  it('names a record whose certificate type was changed', async () => {
    const { ledger, ids } = await ledgerWithRecords();
    ledger.db.prepare("UPDATE settlements SET mdtrt_cert_type = '03' WHERE setl_id = ?").run(ids[2]);
    expect(await ledger.verifyChain()).toMatchObject({ ok: false, setl_id: ids[2], problem: 'the record was changed' });
  });

  it('names a record whose amount was changed', async () => {
    const { ledger, ids } = await ledgerWithRecords();
    ledger.db.prepare('UPDATE settlements SET acct_pay = acct_pay - 100, psn_cash_pay = psn_cash_pay + 100 WHERE setl_id = ?').run(ids[1]);
    expect(await ledger.verifyChain()).toMatchObject({ ok: false, setl_id: ids[1], problem: 'the record was changed' });
  });

  it('names the record after a deleted one, and sees the newest one deleted', async () => {
    const { ledger, ids } = await ledgerWithRecords();
    ledger.db.pragma('foreign_keys = OFF');
    ledger.db.prepare('DELETE FROM settlements WHERE setl_id = ?').run(ids[1]);
    expect(await ledger.verifyChain()).toMatchObject({ ok: false, setl_id: ids[2], problem: expect.stringContaining('deleted') });
    const again = await ledgerWithRecords();
    again.ledger.db.pragma('foreign_keys = OFF');
    again.ledger.db.prepare('DELETE FROM settlements WHERE seq = (SELECT max(seq) FROM settlements)').run();
    expect(await again.ledger.verifyChain()).toMatchObject({ ok: false, problem: 'the newest record(s) were deleted' });
  });

  it('names the first record of a reordering', async () => {
    const { ledger, ids } = await ledgerWithRecords();
    const seqOf = (id: string) => (ledger.db.prepare('SELECT seq FROM settlements WHERE setl_id = ?').get(id) as { seq: number }).seq;
    const [a, b] = [seqOf(ids[1]!), seqOf(ids[2]!)];
    ledger.db.prepare('UPDATE settlements SET seq = -1 WHERE seq = ?').run(a);
    ledger.db.prepare('UPDATE settlements SET seq = ? WHERE seq = ?').run(a, b);
    ledger.db.prepare('UPDATE settlements SET seq = ? WHERE seq = -1').run(b);
    expect(await ledger.verifyChain()).toMatchObject({ ok: false, setl_id: ids[2], problem: expect.stringContaining('reordered') });
  });
});
