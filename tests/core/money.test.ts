import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyRatio, decimal4, divHalfUp, lineAmount, mulDivHalfUp, ratio, yuan } from '../../src/core/money.ts';

describe('money at the edges', () => {
  it('reads yuan with at most two decimals as integer fen', () => {
    expect(yuan.parse(103)).toBe(10300);
    expect(yuan.parse(103.0)).toBe(10300);
    expect(yuan.parse(0.29)).toBe(29);
    expect(yuan.parse(1234567.89)).toBe(123456789);
    expect(yuan.parse(-12.5)).toBe(-1250);
    expect(yuan.safeParse(1.005).success).toBe(false);
    expect(yuan.safeParse('1.00').success).toBe(false);
    expect(yuan.safeParse(Number.NaN).success).toBe(false);
    expect(yuan.safeParse(Infinity).success).toBe(false);
  });

  it('reads prices, counts and ratios with up to four decimals', () => {
    expect(decimal4.parse(0.3333)).toBe(3333);
    expect(decimal4.safeParse(0.33333).success).toBe(false);
    expect(ratio.parse(0.1)).toBe(1000);
    expect(ratio.safeParse(1.5).success).toBe(false);
    expect(ratio.safeParse(-0.1).success).toBe(false);
  });
});

describe('half-up rounding', () => {
  it('rounds halves away from zero and nothing else', () => {
    expect(divHalfUp(5n, 10n)).toBe(1n);
    expect(divHalfUp(4n, 10n)).toBe(0n);
    expect(divHalfUp(15n, 10n)).toBe(2n);
    expect(divHalfUp(-15n, 10n)).toBe(-2n);
    expect(divHalfUp(-14n, 10n)).toBe(-1n);
  });

  it('takes the fast path in doubles only where it agrees with exact BigInt arithmetic', () => {
    const exact = (a: number, b: number, d: number) => Number(divHalfUp(BigInt(a) * BigInt(b), BigInt(d)));
    const int = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeInteger().map((n) => Math.trunc(n / 4)), fc.integer({ min: -(2 ** 26), max: 2 ** 26 }));
    fc.assert(
      fc.property(int, int, fc.constantFrom(1, 2, 100, 10_000, 1_000_000, 999_983), (a, b, d) => {
        expect(mulDivHalfUp(a, b, d)).toBe(exact(a, b, d));
      }),
      { numRuns: 3000 },
    );
    // the edges of the fast path: products just below and above 2^51, halves, negative halves
    for (const [a, b, d] of [[2 ** 25, 2 ** 26 - 1, 10_000], [2 ** 25, 2 ** 26, 10_000], [2 ** 25 + 1, 2 ** 26, 3], [5, 1, 10], [-15, 1, 10], [2 ** 51 - 1, 1, 2]]) {
      expect(mulDivHalfUp(a!, b!, d!)).toBe(exact(a!, b!, d!));
    }
  });

  it('applies a ratio to fen half-up', () => {
    expect(applyRatio(105, 5000)).toBe(53); // 0.525 -> 0.53
    expect(applyRatio(20600, 5000)).toBe(10300);
    expect(applyRatio(20600, 7000)).toBe(14420);
    expect(applyRatio(1, 4999)).toBe(0);
    expect(applyRatio(1, 5000)).toBe(1);
  });

  it('computes price x count to the fen half-up', () => {
    expect(lineAmount(450000, 20000)).toBe(9000); // 45.00 x 2
    expect(lineAmount(3333, 30000)).toBe(100); // 0.3333 x 3 = 0.9999 -> 1.00
    expect(lineAmount(1250, 10000)).toBe(13); // 0.125 -> 0.13
    expect(lineAmount(1240, 10000)).toBe(12); // 0.124 -> 0.12
    expect(lineAmount(99_999_999_9999, 99_999_9999)).toBeGreaterThan(0); // no overflow: BigInt inside
  });
});
