import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from '../../src/platform/envelope.ts';

/** The same value with every object's keys inserted in reverse order. */
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversedKeys(x)]));
}

describe('canonicalJson', () => {
  it('is JSON that parses back to what JSON.stringify would give', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order keys were written in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(reversedKeys(v))).toBe(canonicalJson(v));
      }),
      { numRuns: 500 },
    );
  });

  it('sorts keys by code unit and drops undefined members as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: [undefined, { d: undefined, c: '药' }], '10': true, '9': null })).toBe('{"10":true,"9":null,"a":[null,{"c":"药"}],"b":1}');
    expect(canonicalJson({ x: Number.NaN, y: -0 })).toBe('{"x":null,"y":0}');
  });
});
