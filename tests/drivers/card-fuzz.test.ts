/**
 * Property tests (fast-check): whatever a card answers, the decoder settles with a complete identity
 * or a CardError, never another exception, and with a bounded number of APDUs (it cannot hang on a
 * card that keeps asking for more). The virtual card answers any bytes with a status word.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CardError, readCardFacts, type Transmit } from '../../src/drivers/card/index.ts';
import { decodeAn, decodeBcdDate, decodeCn, decodeGbkName, parseRecordTlv } from '../../src/drivers/card/codec.ts';
import { createVirtualCard } from '../../drivers/vcard/index.ts';
import { demoImage, GEN1, GEN2, GEN3 } from './card-helpers.ts';

/** A conforming read costs 12 APDUs; with every 61xx/6Cxx follow-up and the by-tag fallback it stays well under this. */
const APDU_BOUND = 2 * 9 + 12 * 9 + 2 * 9;

function onlyCardErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof CardError)) throw err;
  }
}

async function settle(transmit: Transmit, pin?: string): Promise<{ ok: boolean; calls: number }> {
  let calls = 0;
  const counting: Transmit = async (apdu) => {
    calls++;
    if (calls > APDU_BOUND) throw new Error(`more than ${APDU_BOUND} APDUs: the decoder does not stop`);
    return transmit(apdu);
  };
  try {
    await readCardFacts(counting, pin === undefined ? {} : { pin });
    return { ok: true, calls };
  } catch (err) {
    if (!(err instanceof CardError)) throw err;
    return { ok: false, calls };
  }
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

describe('decoders never throw anything but CardError', () => {
  it('SIMPLE-TLV records', () => {
    fc.assert(fc.property(bytes(300), fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), (b, tag) => onlyCardErrors(() => parseRecordTlv(b, 'fuzz', tag))));
  });

  it('an, cn, BCD dates and GBK names', () => {
    fc.assert(
      fc.property(bytes(40), (b) => {
        onlyCardErrors(() => decodeAn(b, 'fuzz', 'an', b.length));
        onlyCardErrors(() => decodeCn(b, 'fuzz', 'cn', b.length));
        onlyCardErrors(() => decodeBcdDate(b, 'fuzz', 'date'));
        onlyCardErrors(() => decodeGbkName(b, 'fuzz', 'name', 30));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the APDU decoder against arbitrary cards', () => {
  it('random answers: settles with an identity or a CardError, within the APDU bound', async () => {
    const answer = fc.oneof(
      bytes(260),
      fc.tuple(bytes(40), fc.constantFrom(0x61, 0x6c, 0x90, 0x6a, 0x63, 0x69), fc.integer({ min: 0, max: 255 })).map(([d, a, b]) => Buffer.concat([d, Buffer.from([a, b])])),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 40 }), fc.option(fc.constant('123456'), { nil: undefined }), async (answers, pin) => {
        let i = 0;
        const r = await settle(async () => answers[i++ % answers.length]!, pin);
        expect(r.calls).toBeLessThanOrEqual(APDU_BOUND);
      }),
      { numRuns: 500 },
    );
  });

  it('a real card with one answer corrupted (bit flip, cut, replaced): settles with an identity or a CardError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(GEN1, GEN2, GEN3),
        fc.nat({ max: 14 }),
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('cut' as const), keep: fc.nat({ max: 40 }) }),
          fc.record({ kind: fc.constant('replace' as const), with: bytes(40) }),
        ),
        async (cardNo, victim, how) => {
          const card = createVirtualCard(demoImage(cardNo));
          let n = 0;
          const transmit: Transmit = async (apdu) => {
            const r = card.process(apdu);
            if (n++ !== victim) return r;
            if (how.kind === 'flip') {
              const c = Buffer.from(r);
              c[how.at % c.length]! ^= 1 << how.bit;
              return c;
            }
            if (how.kind === 'cut') return r.subarray(0, Math.min(how.keep, r.length));
            return how.with;
          };
          const res = await settle(transmit);
          expect(res.calls).toBeLessThanOrEqual(APDU_BOUND);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('the virtual card answers any bytes with at least a status word and never throws', () => {
    const card = createVirtualCard(demoImage(GEN3));
    fc.assert(
      fc.property(fc.array(bytes(270), { maxLength: 20 }), (cmds) => {
        for (const c of cmds) {
          const r = card.process(c);
          expect(r.length).toBeGreaterThanOrEqual(2);
        }
      }),
      { numRuns: 500 },
    );
  });
});
