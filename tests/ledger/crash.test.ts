import { describe, expect, it } from 'vitest';
import { crashTest } from '../../scripts/crash.ts';

describe('crash safety (SIGKILL at random moments)', () => {
  it('keeps every settlement whole or absent, and completes the interrupted message on retry', async () => {
    const seed = 20261122;
    const r = await crashTest(24, seed, () => {});
    expect(r, `seed ${seed}`).toMatchObject({ ok: true, kills: 24 });
    expect(r.records).toBeGreaterThan(24);
  }, 180_000);
});
