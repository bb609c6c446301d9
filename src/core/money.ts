import { z } from 'zod';

/**
 * Money is integer fen inside medpos; yuan with two decimals only at the edges.
 * Ratios are integer parts per 10 000 (four decimals); `pric` and `cnt` are
 * integers scaled by 10 000 (the platform allows four decimals on both).
 */
export type Fen = number;
export type Ratio4 = number;

const SCALE4 = 10_000;

/** The integer n such that value = n / scale, if value has at most log10(scale) decimals. */
function scaled(value: number, scale: number): number | undefined {
  const n = Math.round(value * scale);
  if (!Number.isSafeInteger(n)) return undefined;
  // Decimal literals like 0.29 are not exact in binary: accept what rounds back exactly.
  return Math.abs(n / scale - value) <= Number.EPSILON * Math.max(1, Math.abs(value)) * 4 ? n : undefined;
}

export function fenToYuan(fen: Fen): number {
  return fen / 100;
}

/** Half-up division of non-negative or negative integers (half away from zero). */
export function divHalfUp(numerator: bigint, denominator: bigint): bigint {
  const neg = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (d * 2n);
  return neg ? -q : q;
}

/**
 * round_half_up(a x b / d) for integers a, b and d > 0, exactly. Small products, the everyday case,
 * stay in doubles (BigInt costs more than the rest of a line's arithmetic); large ones go to BigInt.
 */
export function mulDivHalfUp(a: number, b: number, d: number): number {
  const p = a * b;
  if (Math.abs(p) > 2 ** 51) return Number(divHalfUp(BigInt(a) * BigInt(b), BigInt(d)));
  // here p is exact, and so are 2|p| + d and 2d: only the division rounds, and the remainder corrects it
  const top = 2 * Math.abs(p) + d;
  let q = Math.floor(top / (2 * d));
  const r = top - q * 2 * d;
  if (r < 0) q--;
  else if (r >= 2 * d) q++;
  return p < 0 && q !== 0 ? -q : q; // never -0: it would show in JSON comparisons and retried responses
}

/** round_half_up(fen x ratio) for a ratio in parts per 10 000. */
export function applyRatio(fen: Fen, ratio: Ratio4): Fen {
  return mulDivHalfUp(fen, ratio, SCALE4);
}

/** round_half_up(pric x cnt) in fen, both scaled by 10 000. */
export function lineAmount(pricE4: number, cntE4: number): Fen {
  // pric (yuan x 1e4) x cnt (x 1e4) = yuan x 1e8 = fen x 1e6
  return mulDivHalfUp(pricE4, cntE4, 1_000_000);
}

/**
 * A number with at most log10(scale) decimals and at most `max` in size, read as the integer n with
 * value = n / scale. One check and an overwrite, not refinements and a transform: the input is read
 * once, and no pipe is built around it.
 */
function scaledNumber(scale: number, max: number, typeError: string, decimalsError: string) {
  return z
    .number({ error: typeError })
    .check((ctx) => {
      const v = ctx.value;
      if (scaled(v, scale) === undefined) ctx.issues.push({ code: 'custom', message: decimalsError, input: v, continue: false });
      else if (Math.abs(v) > max) ctx.issues.push({ code: 'custom', message: 'is too large', input: v, continue: false });
    })
    .overwrite((v) => scaled(v, scale)!);
}

/** A money amount in yuan, at most two decimals, as fen. */
export const yuan = scaledNumber(100, 1e11, 'must be a number (yuan)', 'must be yuan with at most two decimals');

export const nonNegativeYuan = yuan.refine((v) => v >= 0, 'must not be negative');

/** A number with at most four decimals, scaled by 10 000. */
export const decimal4 = scaledNumber(SCALE4, 1e9, 'must be a number', 'must have at most four decimals');

/** A ratio in [0, 1] with at most four decimals, as parts per 10 000. */
export const ratio = decimal4.refine((v) => v >= 0 && v <= SCALE4, 'must be a ratio between 0 and 1');

/**
 * The integer n such that text = n / 10^places, for a decimal string with at most `places` decimals
 * (trailing zeros past them allowed, as for a JSON number); read digit by digit, so "0.29" is exact.
 */
function scaledDecimalText(text: string, places: number): number | undefined {
  const m = /^(-?)(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > places) return undefined;
  const n = Number(`${m[2]}${frac.padEnd(places, '0')}`);
  if (!Number.isSafeInteger(n)) return undefined;
  return m[1] && n !== 0 ? -n : n;
}

/**
 * What a decimal string with at most `places` decimals and fewer integer digits than `max` has looks
 * like on the wire (trailing zeros allowed). The size bound is in the pattern so that the JSON Schema
 * generated from it refuses what the check refuses.
 */
export const decimalPattern = (places: number, max: number, nonNegative = false) =>
  new RegExp(`^${nonNegative ? '(-(?=[0.]+$))?' : '-?'}\\d{1,${String(max).length - 1}}(\\.\\d{0,${places}}0*)?$`);

/** The JSON Schema of a scaled number's number form: its bounds, its decimals, and no non-zero value that rounds to 0. */
export function wireNumberBounds(scale: number, minimum: number, maximum: number) {
  const half = 1 / (2 * scale);
  return { minimum, maximum, multipleOf: 1 / scale, not: { exclusiveMinimum: -half, exclusiveMaximum: half, not: { const: 0 } } };
}

/**
 * A scaled number as clients send it: a JSON number or a decimal string ("12.50"). The schema keeps
 * the wire shape (so a JSON Schema generated from it says what is accepted); the overwrite after the
 * check only turns the accepted value into the integer medpos keeps.
 */
function wireScaled(places: number, max: number, what: string, nonNegative = false): z.ZodType<number, number | string> {
  const scale = 10 ** places;
  const decimals = places === 0 ? 'must be a whole number' : `must be ${what} with at most ${places === 2 ? 'two' : 'four'} decimals`;
  // the JSON Schema of the number branch says what the check below holds (JSON Schema has no custom checks)
  const number = z.number().meta(wireNumberBounds(scale, nonNegative ? 0 : -max, max));
  // "-1" reaches the check (and its message) in zod; the JSON Schema refuses it by the pattern
  const text = z.string().regex(decimalPattern(places, max)).meta({ pattern: decimalPattern(places, max, nonNegative).source });
  return z
    .union([number, text], { error: `${decimals} (a number or a decimal string)` })
    .check((ctx) => {
      const v = ctx.value;
      const n = typeof v === 'string' ? scaledDecimalText(v, places) : scaled(v, scale);
      // 1e-300 is no amount of fen: within the float tolerance of 0, but not 0
      if (n === undefined || (n === 0 && typeof v === 'number' && v !== 0)) ctx.issues.push({ code: 'custom', message: decimals, input: v, continue: false });
      else if (Math.abs(n) > max * scale) ctx.issues.push({ code: 'custom', message: 'is too large', input: v, continue: false });
      else if (nonNegative && n < 0) ctx.issues.push({ code: 'custom', message: 'must not be negative', input: v, continue: false });
    })
    .overwrite((v) => (typeof v === 'string' ? scaledDecimalText(v, places)! : scaled(v, scale)!)) as unknown as z.ZodType<number, number | string>;
}

/** Wire forms (number or decimal string) of yuan (to fen), four-decimal numbers (to x 10 000) and whole counts. */
export const wireYuan = wireScaled(2, 1e11, 'yuan');
export const wireNonNegativeYuan = wireScaled(2, 1e11, 'yuan', true);
export const wireDecimal4 = wireScaled(4, 1e9, 'a number');
export const wireCount = wireScaled(0, 1e9, 'a whole number');

export function ratioToNumber(r: Ratio4): number {
  return r / SCALE4;
}
