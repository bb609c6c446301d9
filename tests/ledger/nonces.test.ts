/** Signed requests' nonces in the ledger: each accepted once within 600 s, per paasid. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';
import type { LedgerStore } from '../../src/ledger/types.ts';

const claim = (l: LedgerStore, paasid: string, nonce: string, at: number) => l.transaction((tx) => tx.claimNonce(paasid, nonce, at));

describe('claimNonce', () => {
  it('accepts a nonce once in 600 s, per paasid, on every connection to one file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'medpos-nonce-')), 'n.db');
    const a = new SqliteLedger(path);
    const b = new SqliteLedger(path);
    try {
      const t = 1_800_000_000;
      expect(await claim(a, 'his01', 'n1', t)).toBe(true);
      expect(await claim(a, 'his01', 'n1', t + 1)).toBe(false);
      expect(await claim(b, 'his01', 'n1', t + 599)).toBe(false); // another server on the same database
      expect(await claim(b, 'his02', 'n1', t + 1)).toBe(true); // another paasid's nonce space
      expect(await claim(b, 'his01', 'n1', t + 600)).toBe(true); // past the window it is fresh again
      expect(await claim(a, 'his01', 'n1', t + 601)).toBe(false);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
