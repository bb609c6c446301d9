import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPlatform, WORLDS } from '../helpers.ts';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'medpos-conc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function worker(db: string, id: number, count: number): Promise<{ infcode: number; err_code?: string; acct_pay?: number; setl_id?: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/ledger/settle-worker.ts', db, String(id), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${id} exited ${code}: ${err}`))));
  });
}

describe('four processes settling against one family at once', () => {
  it('never overdraws, never loses an update, never shows SQLITE_BUSY', async () => {
    const db = join(dir, 'family.db');
    const { ledger } = await freshPlatform(WORLDS.demo, undefined, db);
    const donors = ['44030000000000000001', '44030000000000000002'];
    const balances = (l: SqliteLedger) => l.transaction(async (tx) => Promise.all(donors.map((p) => tx.balance(p))));
    const opening = (await balances(ledger)).reduce((s, b) => s + b, 0);
    await ledger.close();

    const all = (await Promise.all([1, 2, 3, 4].map((id) => worker(db, id, 30)))).flat();
    expect(all.filter((r) => r.infcode !== 0)).toEqual([]);

    const after = new SqliteLedger(db);
    try {
      const closingEach = await balances(after);
      const closing = closingEach.reduce((s, b) => s + b, 0);
      const paid = all.reduce((s, r) => s + Math.round((r.acct_pay ?? 0) * 100), 0);
      expect(opening).toBe(298050); // 120.00 + 2860.50
      expect(paid).toBe(opening - closing); // every debit is in a response, and every response's debit landed
      expect(closing).toBeGreaterThanOrEqual(0);
      for (const b of closingEach) expect(b).toBeGreaterThanOrEqual(0);
      expect(paid).toBe(opening); // 120 x 30.00 = 3600.00 asks for more than there is: the accounts run dry exactly
      expect(new Set(all.map((r) => r.setl_id)).size).toBe(120);
      expect(await after.settlementCount()).toBe(120);
    } finally {
      await after.close();
    }
  });
});
