/** Hostile input at every boundary (tests/fuzz/hostile.ts), a few hundred cases each; `npm run bench` runs 100 000. */
import { describe, it } from 'vitest';
import { hostileProperties } from './hostile.ts';

describe('hostile input', () => {
  for (const p of hostileProperties()) {
    it(p.name, () => p.run(p.ciRuns), 60_000);
  }
});
