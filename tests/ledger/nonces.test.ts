/** Signed requests' nonces in the ledger: each accepted once within 600 s, per paasid. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';

describe('claimNonce', () => {
  it('accepts a nonce once in 600 s, per paasid, on every connection to one file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'medpos-nonce-')), 'n.db');
    const a = new Ledger(path);
    const b = new Ledger(path);
    try {
      const t = 1_800_000_000;
      expect(a.claimNonce('his01', 'n1', t)).toBe(true);
      expect(a.claimNonce('his01', 'n1', t + 1)).toBe(false);
      expect(b.claimNonce('his01', 'n1', t + 599)).toBe(false); // another server on the same database
      expect(b.claimNonce('his02', 'n1', t + 1)).toBe(true); // another paasid's nonce space
      expect(b.claimNonce('his01', 'n1', t + 600)).toBe(true); // past the window it is fresh again
      expect(a.claimNonce('his01', 'n1', t + 601)).toBe(false);
    } finally {
      b.close();
      a.close();
    }
  });
});
