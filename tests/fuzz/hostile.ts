/**
 * Hostile input, in one place: every boundary medpos reads from outside (card bytes, scanner bytes,
 * e-certificate text, transaction requests, world files) fed arbitrary or mangled input. Each case
 * must end in a clear refusal or a correct answer: never another exception, never a hang, never a
 * write on a refusal. The tests run a few hundred cases of each (`ciRuns`); `npm run bench` runs
 * 100 000 in all. Checks use node:assert so that both can run them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { parseWorld, readWorldFiles, WorldError } from '../../src/core/world.ts';
import { CardError, readCardFacts, type Transmit } from '../../src/drivers/card/index.ts';
import { decodeAn, decodeBcdDate, decodeCn, decodeGbkName, parseRecordTlv } from '../../src/drivers/card/codec.ts';
import { classifyLine } from '../../src/drivers/scanner/classify.ts';
import { LineAssembler } from '../../src/drivers/scanner/line-splitter.ts';
import { MAX_LINE_BYTES, type Terminator } from '../../src/drivers/scanner/settings.ts';
import { issueCode, verifyCode } from '../../src/platform/ecert-code.ts';
import type { ResponseEnvelope } from '../../src/platform/envelope.ts';
import { INFNOS } from '../../src/platform/platform.ts';
import { createVirtualCard } from '../../drivers/vcard/index.ts';
import { demoImage, GEN1, GEN2, GEN3, ROOT } from '../drivers/card-helpers.ts';
import { freshPlatform, WORLDS } from '../helpers.ts';

export interface HostileProperty {
  name: string;
  /** Cases per test run. */
  ciRuns: number;
  /** Runs `numRuns` cases; rejects with fast-check's report (seed and counterexample) on the first failure. */
  run(numRuns: number, seed?: number): Promise<void>;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

function sync<T>(name: string, ciRuns: number, arb: fc.Arbitrary<T>, check: (value: T) => void): HostileProperty {
  return { name, ciRuns, run: async (numRuns, seed) => fc.assert(fc.property(arb, check), { numRuns, ...(seed === undefined ? {} : { seed }) }) };
}

function async<T>(name: string, ciRuns: number, arb: fc.Arbitrary<T>, check: (value: T) => Promise<void>): HostileProperty {
  return { name, ciRuns, run: (numRuns, seed) => fc.assert(fc.asyncProperty(arb, check), { numRuns, ...(seed === undefined ? {} : { seed }) }) };
}

// --- the card -------------------------------------------------------------------------------

function onlyCardErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof CardError)) throw err;
  }
}

/** A conforming read costs 12 APDUs; with every 61xx/6Cxx follow-up and the by-tag fallback it stays well under this. */
export const APDU_BOUND = 2 * 9 + 12 * 9 + 2 * 9;

/** Reads a card through `transmit`: an identity or a CardError, within the APDU bound (a decoder that keeps asking would hang). */
async function readBounded(transmit: Transmit, pin?: string): Promise<void> {
  let calls = 0;
  const counting: Transmit = async (apdu) => {
    calls++;
    assert.ok(calls <= APDU_BOUND, `more than ${APDU_BOUND} APDUs: the decoder does not stop`);
    return transmit(apdu);
  };
  try {
    await readCardFacts(counting, pin === undefined ? {} : { pin });
  } catch (err) {
    if (!(err instanceof CardError)) throw err;
  }
}

const cardProperties = (): HostileProperty[] => [
  sync('card: SIMPLE-TLV records from arbitrary bytes', 500, fc.tuple(bytes(300), fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined })), ([b, tag]) =>
    onlyCardErrors(() => parseRecordTlv(b, 'fuzz', tag)),
  ),
  sync('card: an, cn, BCD dates and GBK names from arbitrary bytes', 1000, bytes(40), (b) => {
    onlyCardErrors(() => decodeAn(b, 'fuzz', 'an', b.length));
    onlyCardErrors(() => decodeCn(b, 'fuzz', 'cn', b.length));
    onlyCardErrors(() => decodeBcdDate(b, 'fuzz', 'date'));
    onlyCardErrors(() => decodeGbkName(b, 'fuzz', 'name', 30));
  }),
  async(
    'card: the APDU decoder against a card answering arbitrary bytes',
    300,
    fc.tuple(
      fc.array(
        fc.oneof(
          bytes(260),
          fc.tuple(bytes(40), fc.constantFrom(0x61, 0x6c, 0x90, 0x6a, 0x63, 0x69), fc.integer({ min: 0, max: 255 })).map(([d, a, b]) => Buffer.concat([d, Buffer.from([a, b])])),
        ),
        { minLength: 1, maxLength: 40 },
      ),
      fc.option(fc.constant('123456'), { nil: undefined }),
    ),
    async ([answers, pin]) => {
      let i = 0;
      await readBounded(async () => answers[i++ % answers.length]!, pin);
    },
  ),
  async(
    'card: a real card with one answer corrupted (bit flip, cut, replaced)',
    500,
    fc.tuple(
      fc.constantFrom(GEN1, GEN2, GEN3),
      fc.nat({ max: 14 }),
      fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('cut' as const), keep: fc.nat({ max: 40 }) }),
        fc.record({ kind: fc.constant('replace' as const), with: bytes(40) }),
      ),
    ),
    async ([cardNo, victim, how]) => {
      const card = createVirtualCard(demoImage(cardNo));
      let n = 0;
      await readBounded(async (apdu) => {
        const r = card.process(apdu);
        if (n++ !== victim) return r;
        if (how.kind === 'flip') {
          const c = Buffer.from(r);
          c[how.at % c.length]! ^= 1 << how.bit;
          return c;
        }
        if (how.kind === 'cut') return r.subarray(0, Math.min(how.keep, r.length));
        return how.with;
      });
    },
  ),
  sync('card: the virtual card answers any command with a status word', 300, fc.array(bytes(270), { maxLength: 20 }), (cmds) => {
    const card = createVirtualCard(demoImage(GEN3));
    for (const c of cmds) assert.ok(card.process(c).length >= 2);
  }),
];

// --- the scanner ----------------------------------------------------------------------------

const scannerProperties = (): HostileProperty[] => [
  sync(
    'scanner: arbitrary byte chunks never throw and never make a line over the bound',
    300,
    fc.tuple(
      fc.constantFrom<Terminator>('any', 'CR', 'LF', 'CRLF'),
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ minLength: 1000, maxLength: 6000 }),
          fc.constantFrom(new Uint8Array([13]), new Uint8Array([10]), new Uint8Array([13, 10])),
        ),
        { maxLength: 40 },
      ),
    ),
    ([terminator, chunks]) => {
      const a = new LineAssembler(terminator);
      for (const chunk of chunks) {
        for (const e of a.push(chunk)) if (e.type === 'line') assert.ok(e.bytes.length <= MAX_LINE_BYTES);
        assert.ok(a.buffered <= MAX_LINE_BYTES);
      }
    },
  ),
  sync('scanner: any line is classified, and its text shows no raw control character', 500, fc.uint8Array({ maxLength: 300 }), (b) => {
    const { text } = classifyLine(Buffer.from(b));
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/);
  }),
];

// --- e-certificates -------------------------------------------------------------------------

const ECERT_KEY = Buffer.alloc(32, 7);
const ISSUED = new Date('2026-03-01T08:30:00.123Z');

const ecertProperties = (): HostileProperty[] => {
  const good = issueCode({ psnNo: '43000000000000000001', issuedAt: ISSUED, ttlSeconds: 60, key: ECERT_KEY, nonce: Buffer.alloc(16, 1) });
  return [
    sync(
      'e-certificate: arbitrary text, and a real code cut or with one character changed, never verifies',
      500,
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.nat({ max: good.length - 1 }).map((n) => good.slice(0, n)),
        fc.tuple(fc.nat({ max: good.length - 1 }), fc.string({ minLength: 1, maxLength: 1 })).filter(([at, c]) => good[at] !== c).map(([at, c]) => good.slice(0, at) + c + good.slice(at + 1)),
      ),
      (s) => assert.equal(verifyCode(s, ECERT_KEY, new Date(ISSUED.getTime() + 1000)).ok, false),
    ),
  ];
};

// --- transactions and worlds -----------------------------------------------------------------

/** A value with one leaf replaced by something arbitrary, or one key dropped. */
export function mutate(value: unknown, path: number[], replacement: unknown, drop: boolean): unknown {
  if (value === null || typeof value !== 'object' || path.length === 0) return replacement;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path;
  const i = head! % entries.length;
  if (drop && rest.length === 0) entries.splice(i, 1);
  else entries[i] = [entries[i]![0], mutate(entries[i]![1], rest, replacement, drop)];
  const out = Object.fromEntries(entries);
  return Array.isArray(value) ? Object.values(out) : out;
}

/** Every transaction input the shipped scenarios send, with the world and institution it was sent to. */
export function scenarioInputs(): { infno: string; input: unknown; world: string; fixmedins_code: string }[] {
  const dir = join(ROOT, 'fixtures/scenarios');
  const out: { infno: string; input: unknown; world: string; fixmedins_code: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { world: string; fixmedins_code?: string; steps: { call?: string; input?: unknown; fixmedins_code?: string }[] };
    const world = relative(ROOT, resolve(dirname(join(dir, file)), s.world));
    for (const step of s.steps) {
      const fixmedins = step.fixmedins_code ?? s.fixmedins_code;
      if (step.call && step.input !== undefined && fixmedins) out.push({ infno: step.call, input: step.input, world, fixmedins_code: fixmedins });
    }
  }
  return out;
}

/** Platforms per world, and what a refusal must leave untouched. */
function platforms() {
  const byWorld = new Map<string, Awaited<ReturnType<typeof freshPlatform>>>();
  const get = async (world: string) => {
    let p = byWorld.get(world);
    if (!p) byWorld.set(world, (p = await freshPlatform(world)));
    return p;
  };
  const written = async (world: string) =>
    (await get(world))
      .ledger.db.prepare(
        `SELECT (SELECT count(*) FROM settlements) AS s, (SELECT count(*) FROM visits) AS v, (SELECT count(*) FROM fee_lines) AS f,
           (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM visit_events) AS e, (SELECT count(*) FROM fee_line_withdrawals) AS w,
           (SELECT count(*) FROM sign_ins) AS si, (SELECT count(*) FROM ecert_uses) AS u, (SELECT total(balc) FROM accounts) AS b,
           (SELECT total(dedc_used) + total(fund_used) FROM counters) AS c`,
      )
      .get();
  return { get, written };
}

async function answeredCleanly(res: ResponseEnvelope, before: unknown, after: () => Promise<unknown>): Promise<void> {
  assert.ok(res.infcode === 0 || res.infcode === -1, `infcode ${String(res.infcode)}`);
  if (res.infcode === -1) {
    assert.notEqual(res.err_code, 'internal_error', res.err_msg ?? '');
    assert.deepEqual(await after(), before, 'a refusal wrote something');
  }
}

const transactionProperties = (): HostileProperty[] => {
  const p = platforms();
  const inputs = scenarioInputs();
  const infnos = [...INFNOS, 'ec.query', '9999'];
  assert.ok(
    INFNOS.every((infno) => inputs.some((i) => i.infno === infno)),
    `no scenario input for ${INFNOS.filter((infno) => !inputs.some((i) => i.infno === infno)).join(', ')}`,
  );
  let n = 0;
  return [
    async(
      'transactions: arbitrary requests are answered, and a refusal writes nothing',
      400,
      fc.oneof(
        fc.anything(),
        fc.string(),
        fc.record({ infno: fc.constantFrom(...infnos), msgid: fc.string({ maxLength: 40 }), fixmedins_code: fc.constantFrom('P44030000001', 'H44030000001', 'x'), insuplc_admdvs: fc.constant('440300'), input: fc.anything() }),
      ),
      async (req) => {
        const before = await p.written(WORLDS.demo);
        await answeredCleanly(await (await p.get(WORLDS.demo)).platform.call(req as never), before, () => p.written(WORLDS.demo));
      },
    ),
    async(
      'transactions: every input the scenarios send, with one field mangled or dropped, is refused cleanly or answered',
      600,
      fc.tuple(fc.constantFrom(...inputs), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.oneof(fc.anything(), fc.double(), fc.string(), fc.integer()), fc.boolean()),
      async ([sent, path, value, drop]) => {
        const before = await p.written(sent.world);
        const res = await (await p.get(sent.world)).platform.call({
          infno: sent.infno,
          msgid: `FZ${n++}`,
          fixmedins_code: sent.fixmedins_code,
          insuplc_admdvs: '440300',
          input: mutate(sent.input, path, value, drop),
        });
        await answeredCleanly(res, before, () => p.written(sent.world));
        const s = (res.output as { setlinfo?: { medfee_sumamt?: number; fund_pay_sumamt: number; acct_pay: number; psn_cash_pay: number } } | null)?.setlinfo;
        if (res.infcode === 0 && s?.medfee_sumamt !== undefined) {
          const fen = (y: number) => Math.round(y * 100);
          assert.equal(fen(s.fund_pay_sumamt) + fen(s.acct_pay) + fen(s.psn_cash_pay), fen(s.medfee_sumamt), 'total = fund + account + cash');
        }
      },
    ),
  ];
};

const worldProperties = (): HostileProperty[] => {
  const files = readWorldFiles(WORLDS.demo);
  return [
    sync(
      'world: a mangled world loads whole, or is refused with every problem named by file',
      300,
      fc.tuple(fc.constantFrom('world.json', 'catalog.json', 'persons.json', 'cards.json'), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.anything(), fc.boolean()),
      ([file, path, value, drop]) => {
        const mangled = { ...files, [file]: mutate(files[file as keyof typeof files], path, value, drop) };
        try {
          parseWorld(mangled);
        } catch (err) {
          assert.ok(err instanceof WorldError, `not a WorldError: ${String(err)}`);
          assert.ok(err.problems.length > 0);
          for (const problem of err.problems) assert.match(problem.file, /\.json$/);
        }
      },
    ),
  ];
};

/** Every hostile-input property, grouped by boundary. */
export function hostileProperties(): HostileProperty[] {
  return [...cardProperties(), ...scannerProperties(), ...ecertProperties(), ...transactionProperties(), ...worldProperties()];
}
