/**
 * The card application, the virtual card and the in-process reader, with no PC/SC: every generation,
 * the 61xx and 6Cxx paths, the by-tag fallback, TLV / GBK / BCD errors, a card pulled mid-read, the
 * PIN count-down and block, traces, formats and the reader's status machine.
 */
import { describe, expect, it } from 'vitest';
import {
  CardError,
  createInProcessReader,
  EXPECTED_APDUS,
  formatPipe,
  parseTrace,
  readCardIdentity,
  readIdentity,
  TraceRecorder,
  type CardEvent,
  type ReaderSnapshot,
  type SimulatedCard,
} from '../../src/drivers/card/index.ts';
import { decodeBcdDate, decodeGbkName, encodeGbk, encodeTlv, fromHex, parseRecordTlv } from '../../src/drivers/card/codec.ts';
import { createTraceCard, createVirtualCard, parseVpcdAddress, PIN_TRIES, type CardQuirks } from '../../drivers/vcard/index.ts';
import { demoImage, demoWorld, EventLog, expectedIdentity, GEN1, GEN2, GEN3 } from './card-helpers.ts';

const DEVICE = 'medpos in-process reader';

function cardOf(cardNo: string, quirks: CardQuirks = {}) {
  return createVirtualCard(demoImage(cardNo), quirks);
}

async function readWithTrace(card: SimulatedCard, opts: { pin?: string } = {}) {
  const reader = createInProcessReader(card);
  const trace = new TraceRecorder();
  try {
    const identity = await readIdentity(reader, { ...opts, trace, timeoutMs: 1000 });
    return { identity, trace: trace.toJSON(), reader };
  } finally {
    await reader.close();
  }
}

async function readError(card: SimulatedCard, opts: { pin?: string } = {}): Promise<CardError> {
  const reader = createInProcessReader(card);
  try {
    await readIdentity(reader, { ...opts, timeoutMs: 1000 });
  } catch (err) {
    expect(err).toBeInstanceOf(CardError);
    return err as CardError;
  } finally {
    await reader.close();
  }
  throw new Error('the read did not fail');
}

describe('the demo world has the cards these tests rely on', () => {
  it('gen 1, 2, 3 with 李国栋, 陈喆 and 李堃', () => {
    expect([demoImage(GEN1).spec_ver, demoImage(GEN1).psn_name]).toEqual(['1.00', '李国栋']);
    expect([demoImage(GEN2).spec_ver, demoImage(GEN2).psn_name]).toEqual(['2.00', '陈喆']);
    expect([demoImage(GEN3).spec_ver, demoImage(GEN3).psn_name]).toEqual(['3.00', '李堃']);
  });
});

describe('reading every generation in process', () => {
  for (const [gen, cardNo] of [
    ['1', GEN1],
    ['2', GEN2],
    ['3', GEN3],
  ] as const) {
    it(`generation ${gen}: the full identity in ${EXPECTED_APDUS} APDUs`, async () => {
      const { identity, trace } = await readWithTrace(cardOf(cardNo));
      expect(identity).toEqual(expectedIdentity(cardNo, DEVICE));
      expect(Object.keys(identity)).toEqual(Object.keys(expectedIdentity(cardNo, DEVICE)));
      expect(trace.exchanges).toHaveLength(EXPECTED_APDUS);
      expect(trace.exchanges.every((e) => e.response.endsWith('9000') || e.response.startsWith('61'))).toBe(true);
    });
  }

  it('reads sex from EF06 record 3 on generation 1 and record 4 on later ones (SFI 6, no SELECT EF)', async () => {
    const g1 = (await readWithTrace(cardOf(GEN1))).trace.exchanges.map((e) => e.command);
    const g2 = (await readWithTrace(cardOf(GEN2))).trace.exchanges.map((e) => e.command);
    expect(g1).toContain('00B2033403');
    expect(g2).toContain('00B2043403');
    expect(g1.some((c) => c.startsWith('00A40200'))).toBe(false);
  });

  it('all chip cards of the demo world read back as their world data (chip overrides included)', async () => {
    for (const card of demoWorld().cards) {
      const { identity } = await readWithTrace(cardOf(card.card_no));
      expect(identity).toEqual(expectedIdentity(card.card_no, DEVICE));
    }
    expect((await readWithTrace(cardOf('A00000017'))).identity.psn_name).toBe('罗林');
    expect((await readWithTrace(cardOf('A00000016'))).identity.certno).toBe('440305198512010517');
  });

  it('the same inserted card read twice gives the same identity and keeps its card number', async () => {
    const reader = createInProcessReader(cardOf(GEN3));
    const a = await readIdentity(reader);
    const b = await readIdentity(reader);
    expect(b).toEqual(a);
    expect(reader.snapshot.cardSeq).toBe(1);
    await reader.close();
  });
});

describe('T=0 status words', () => {
  it('61xx: SELECT by name is followed by GET RESPONSE of the announced length', async () => {
    const { trace } = await readWithTrace(cardOf(GEN3));
    expect(trace.exchanges[0]!.command).toBe('00A404000F7378312E73682EC9E7BBE1B1A3D5CF');
    expect(trace.exchanges[0]!.response).toBe('6113');
    expect(trace.exchanges[1]!.command).toBe('00C0000013');
    expect(trace.exchanges[1]!.response.endsWith('9000')).toBe(true);
  });

  it('a card that answers SELECT at once needs one APDU less', async () => {
    const { identity, trace } = await readWithTrace(cardOf(GEN3, { selectDirect: true }));
    expect(identity.psn_name).toBe('李堃');
    expect(trace.exchanges).toHaveLength(EXPECTED_APDUS - 1);
  });

  it('6Cxx: a name record shorter than 30 bytes is fetched again with the Le the card asks for', async () => {
    const { identity, trace } = await readWithTrace(cardOf(GEN2, { nameLength: 20 }));
    expect(identity.psn_name).toBe('陈喆');
    const cmds = trace.exchanges.map((e) => `${e.command}>${e.response.slice(-4)}`);
    expect(cmds).toContain('00B2023420>6C16');
    expect(cmds).toContain('00B2023416>9000');
  });

  it('a card without SFI access is read by tag after SELECT EF05 / EF06 (P2 = 00)', async () => {
    const inner = cardOf(GEN1);
    const noSfi: SimulatedCard = {
      atr: inner.atr,
      reset: () => inner.reset(),
      process: (apdu) => (apdu[1] === 0xb2 && apdu[3]! >> 3 !== 0 ? Buffer.from([0x6a, 0x82]) : inner.process(apdu)),
    };
    const { identity, trace } = await readWithTrace(noSfi);
    expect(identity).toEqual(expectedIdentity(GEN1, DEVICE));
    const cmds = trace.exchanges.map((e) => e.command);
    expect(cmds).toContain('00A4020002EF05');
    expect(cmds).toContain('00A4020002EF06');
    expect(cmds).toContain('00B20A0003');
  });

  it('not a social-security card: SELECT answers 6A82', async () => {
    const err = await readError({ atr: Buffer.from('3B00', 'hex'), reset() {}, process: () => Buffer.from([0x6a, 0x82]) });
    expect(err.code).toBe('bad_status');
    expect(err.step).toBe('SELECT SSSE');
    expect(err.message).toMatch(/not a social-security card/);
  });

  it('EF06 protected (6982) is an error naming the step and the reason', async () => {
    const err = await readError(cardOf(GEN3, { ef06AuthRequired: true }));
    expect(err.code).toBe('bad_status');
    expect(err.step).toBe('READ RECORD EF06 #1 (social-security number)');
    expect(err.message).toMatch(/6982.*security status not satisfied.*authentication/);
  });

  it('an answer with no status word is a protocol error; an endless 61xx chain is cut', async () => {
    const one = await readError({ atr: Buffer.from('3B00', 'hex'), reset() {}, process: () => Buffer.from([0x90]) });
    expect(one.code).toBe('protocol');
    const endless = await readError({ atr: Buffer.from('3B00', 'hex'), reset() {}, process: () => Buffer.from([0x61, 0x10]) });
    expect(endless.code).toBe('protocol');
    expect(endless.message).toMatch(/kept answering 61xx/);
  });
});

describe('malformed data is an error naming the step, never a partial identity', () => {
  it('a TLV whose length runs past the record', async () => {
    const err = await readError(cardOf(GEN3, { rawRecords: { 0x09: fromHex('0920D5C5') } }));
    expect(err.code).toBe('malformed_tlv');
    expect(err.step).toBe('READ RECORD EF06 #2 (name)');
    expect(err.message).toMatch(/length 32 but only 2 value bytes/);
  });

  it('a record with bytes after its TLV', async () => {
    const err = await readError(cardOf(GEN3, { rawRecords: { 0x07: Buffer.concat([encodeTlv(0x07, Buffer.from('A00000003')), Buffer.from([0])]) } }));
    expect(err.code).toBe('malformed_tlv');
    expect(err.step).toBe('READ RECORD EF05 #7 (card number)');
  });

  it('a name that is not GBK', async () => {
    const err = await readError(cardOf(GEN3, { rawRecords: { 0x09: encodeTlv(0x09, Buffer.concat([fromHex('C0EEFF41'), Buffer.alloc(26)])) } }));
    expect(err.code).toBe('bad_field');
    expect(err.step).toBe('READ RECORD EF06 #2 (name)');
    expect(err.message).toMatch(/name is not valid GBK/);
  });

  it('a birth date that is not a date, and one that is not BCD', async () => {
    const notDate = await readError(cardOf(GEN3, { rawRecords: { 0x0d: encodeTlv(0x0d, fromHex('19901301')) } }));
    expect(notDate.code).toBe('bad_field');
    expect(notDate.step).toBe('READ RECORD EF06 #7 (birth date)');
    expect(notDate.message).toMatch(/birth date is not a date \(19901301\)/);
    const notBcd = await readError(cardOf(GEN3, { rawRecords: { 0x05: encodeTlv(0x05, fromHex('2A220601')) } }));
    expect(notBcd.step).toBe('READ RECORD EF05 #5 (issue date)');
    expect(notBcd.message).toMatch(/issue date is not BCD/);
  });

  it('a card identification code that does not start with an area code', async () => {
    const err = await readError(cardOf(GEN3, { rawRecords: { 0x01: encodeTlv(0x01, fromHex('ABCDEFD15600000510E1D7CB4F6BE5DE')) } }));
    expect(err.code).toBe('bad_field');
    expect(err.message).toMatch(/area code/);
  });

  it('codec edge cases', () => {
    expect(() => parseRecordTlv(Buffer.alloc(0), 's')).toThrow(CardError);
    expect(() => parseRecordTlv(fromHex('FF00'), 's')).toThrow(/tag FF/);
    expect(parseRecordTlv(Buffer.concat([fromHex('09FF0003'), Buffer.from('abc')]), 's').value.toString()).toBe('abc');
    expect(() => parseRecordTlv(fromHex('0A0131'), 's', 0x09)).toThrow(/tag 0A where 09/);
    expect(decodeBcdDate(fromHex('20000229'), 's', 'd')).toBe('2000-02-29');
    expect(() => decodeBcdDate(fromHex('19000229'), 's', 'd')).toThrow(/not a date/);
    expect(decodeGbkName(encodeGbk('买买提·艾力', 30), 's', 'name', 30)).toBe('买买提·艾力');
    expect(() => decodeGbkName(Buffer.from([0x80, 0x41]), 's', 'name', 30)).toThrow(/not valid GBK/);
    expect(() => decodeGbkName(Buffer.alloc(30), 's', 'name', 30)).toThrow(/empty/);
    expect(() => encodeGbk('𠮷野', 30)).toThrow(/GBK cannot encode/);
    expect(() => encodeGbk('一二三四五六七八九十一二三四五六', 30)).toThrow(/at most 30/);
  });

  it('a chip image that cannot go on a card is refused when the card is made', () => {
    expect(() => createVirtualCard({ ...demoImage(GEN3), psn_name: '𠮷' })).toThrow(/psn_name.*GBK cannot encode/);
    expect(() => createVirtualCard({ ...demoImage(GEN3), naty: '123' })).toThrow(/naty/);
  });
});

describe('a card pulled mid-read', () => {
  it('gives card_removed at the step, no identity, and the reader sees the removal', async () => {
    const reader = createInProcessReader(cardOf(GEN3));
    const events = new EventLog<CardEvent>();
    reader.on('card', events.push);
    reader.pullAfter(6);
    const err = await readIdentity(reader).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardError);
    expect((err as CardError).code).toBe('card_removed');
    expect((err as CardError).step).toBe('READ RECORD EF05 #6 (expiry date)'); // SELECT, GET RESPONSE, #1, #3, #5, then #6
    expect((err as CardError).message).toMatch(/0-byte answer/);
    expect(events.items).toEqual([{ type: 'removed', cardSeq: 1 }]);
    expect(reader.snapshot.status).toBe('waiting for card');
    await reader.close();
  });
});

describe('PIN', () => {
  it('the right PIN reads; wrong ones count down 2, 1, then the card is blocked', async () => {
    const card = cardOf(GEN3);
    const pin = demoImage(GEN3).pin;
    const reader = createInProcessReader(card);
    expect((await readIdentity(reader, { pin })).psn_name).toBe('李堃');
    const wrong = pin === '000000' ? '111111' : '000000';
    const e1 = (await readIdentity(reader, { pin: wrong }).catch((e: unknown) => e)) as CardError;
    expect([e1.code, e1.triesLeft, e1.message]).toEqual(['pin_wrong', 2, 'VERIFY PIN: wrong PIN, 2 tries left']);
    const e2 = (await readIdentity(reader, { pin: wrong }).catch((e: unknown) => e)) as CardError;
    expect([e2.code, e2.triesLeft]).toEqual(['pin_wrong', 1]);
    expect(e2.message).toMatch(/1 try left/);
    const e3 = (await readIdentity(reader, { pin: wrong }).catch((e: unknown) => e)) as CardError;
    expect(e3.code).toBe('pin_blocked');
    expect(e3.message).toMatch(/blocked/);
    const e4 = (await readIdentity(reader, { pin }).catch((e: unknown) => e)) as CardError;
    expect(e4.code).toBe('pin_blocked');
    expect(e4.message).toMatch(/blocked.*6983/);
    expect(card.pinTriesLeft).toBe(0);
    expect(reader.snapshot.status).toBe('error');
    await reader.close();
  });

  it('a right PIN resets the counter; the counter survives removal and re-insertion', async () => {
    const card = cardOf(GEN2);
    const pin = demoImage(GEN2).pin;
    const reader = createInProcessReader(card);
    await readIdentity(reader, { pin: '000001' }).catch(() => {});
    reader.remove();
    reader.insert(card);
    await readIdentity(reader, { pin: '000001' }).catch(() => {});
    expect(card.pinTriesLeft).toBe(PIN_TRIES - 2);
    await readIdentity(reader, { pin });
    expect(card.pinTriesLeft).toBe(PIN_TRIES);
    await reader.close();
  });

  it('a PIN that is not 6 digits is refused before any APDU', async () => {
    const reader = createInProcessReader(cardOf(GEN3));
    const trace = new TraceRecorder();
    const err = (await readIdentity(reader, { pin: '12345', trace }).catch((e: unknown) => e)) as CardError;
    expect(err.code).toBe('pin_invalid');
    expect(trace.count).toBe(0);
    await reader.close();
  });
});

describe('traces', () => {
  it('round trip: recorded, saved as JSON, validated, replayed to the same identity; the PIN is not stored', async () => {
    const pin = demoImage(GEN3).pin;
    const { identity, trace } = await readWithTrace(cardOf(GEN3), { pin });
    const text = JSON.stringify(trace);
    expect(text).not.toContain(pin);
    expect(trace.exchanges.some((e) => e.command === '0020000003FFFFFF')).toBe(true);
    const loaded = parseTrace(JSON.parse(text), 'memory');
    const replayed = await readWithTrace(createTraceCard(loaded), { pin });
    expect(replayed.identity).toEqual(identity);
    expect(replayed.trace.exchanges.map((e) => [e.command, e.response])).toEqual(trace.exchanges.map((e) => [e.command, e.response]));
  });

  it('a replayed card answers commands it never saw with ISO status words', () => {
    const card = createTraceCard(parseTrace({ format: 'medpos-card-trace/1', recorded_at: '', reader: 'r', atr: '3B00', exchanges: [] }, 'x'));
    expect(card.process(fromHex('00A4040002AAAA')).toString('hex')).toBe('6a82');
    expect(card.process(fromHex('00B2013405')).toString('hex')).toBe('6a83');
    expect(card.process(fromHex('80CA000000')).toString('hex')).toBe('6d00');
  });

  it('invalid trace files are refused with the field named', () => {
    const bad = (json: unknown) => {
      try {
        parseTrace(json, 't.json');
      } catch (err) {
        expect(err).toBeInstanceOf(CardError);
        expect((err as CardError).code).toBe('trace');
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({})).toMatch(/^trace t.json: not a valid medpos-card-trace\/1 file: .format/);
    const ok = { format: 'medpos-card-trace/1', recorded_at: '', reader: 'r', atr: '3B00', exchanges: [{ at_ms: 0, command: '00A40400', response: '9000' }] };
    expect(bad({ ...ok, atr: 'XYZ' })).toMatch(/\.atr: must be hex bytes/);
    expect(bad({ ...ok, exchanges: [{ at_ms: -1, command: '00A40400', response: '9000' }] })).toMatch(/\.exchanges\[0\]\.at_ms/);
    expect(bad({ ...ok, extra: 1 })).toMatch(/extra/);
  });
});

describe('formats', () => {
  it('pipe: the vendor ReadCardBas order, dates as yyyyMMdd, then sex, nation, birth date', async () => {
    const { identity } = await readWithTrace(cardOf(GEN3));
    const img = demoImage(GEN3);
    expect(formatPipe(identity)).toBe(
      [
        '440300',
        img.certno,
        'A00000003',
        img.card_sn,
        '李堃',
        '3B6C00004D504F532D53534341524433',
        '3.00',
        img.issue_date.replace(/-/g, ''),
        img.expiry_date.replace(/-/g, ''),
        '000000000000',
        DEVICE,
        img.gend,
        '01',
        img.brdy.replace(/-/g, ''),
      ].join('|'),
    );
  });
});

describe('the in-process reader', () => {
  it('publishes status snapshots and card events as the card goes in, is read, and comes out', async () => {
    const reader = createInProcessReader(null, { name: 'desk', terminalId: 'T1' });
    const statuses = new EventLog<ReaderSnapshot>();
    const cards = new EventLog<CardEvent>();
    reader.on('status', statuses.push);
    reader.on('card', cards.push);
    expect(reader.snapshot.status).toBe('waiting for card');
    const pending = readIdentity(reader, { timeoutMs: 2000 });
    reader.insert(cardOf(GEN1));
    const id = await pending;
    expect([id.terminal_id, id.device_id]).toEqual(['T1', 'desk']);
    reader.remove();
    expect(statuses.items.map((s) => s.status)).toEqual(['card ready', 'reading', 'card ready', 'waiting for card']);
    expect(cards.items).toEqual([
      { type: 'inserted', atr: '3B6C00004D504F532D53534341524431', cardSeq: 1 },
      { type: 'removed', cardSeq: 1 },
    ]);
    await reader.close();
  });

  it('minCardSeq: the previous customer\'s card must come out before the next one is read', async () => {
    const reader = createInProcessReader(cardOf(GEN1));
    const first = await readCardIdentity(reader);
    expect([first.cardSeq, first.identity.psn_name]).toEqual([1, '李国栋']);
    const stale = (await readCardIdentity(reader, { minCardSeq: first.cardSeq + 1, timeoutMs: 50 }).catch((e: unknown) => e)) as CardError;
    expect(stale.code).toBe('no_card');
    expect(stale.message).toMatch(/card #1 is still in the reader/);
    const next = readCardIdentity(reader, { minCardSeq: first.cardSeq + 1, timeoutMs: 2000 });
    reader.remove();
    reader.insert(cardOf(GEN2));
    expect((await next).identity.psn_name).toBe('陈喆');
    await reader.close();
  });

  it('no card within the timeout is no_card; closing ends waits', async () => {
    const reader = createInProcessReader();
    const err = (await readIdentity(reader, { timeoutMs: 50 }).catch((e: unknown) => e)) as CardError;
    expect(err.code).toBe('no_card');
    const waiting = readIdentity(reader, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await reader.close();
    expect(((await waiting) as CardError).code).toBe('closed');
  });
});

describe('the virtual card answers like an ISO 7816 card', () => {
  const sw = (card: SimulatedCard, hex: string) => card.process(fromHex(hex)).toString('hex').toUpperCase();
  it('status words for what it does not have or do', () => {
    const card = cardOf(GEN3);
    expect(sw(card, '00B2013405')).toBe('6A82'); // SFI read before the DF is selected
    expect(sw(card, '0020000003123456')).toBe('6985'); // VERIFY outside the DF
    expect(sw(card, '00C0000010')).toBe('6985'); // nothing to GET RESPONSE
    expect(sw(card, '00A4040003AABBCC')).toBe('6A82'); // unknown application
    expect(sw(card, '80CA9F7F00')).toBe('6E00'); // class
    expect(sw(card, '0012000000')).toBe('6D00'); // instruction
    expect(sw(card, '00A4')).toBe('6700'); // too short
    expect(sw(card, '00A404000F7378312E73682EC9E7BBE1B1A3D5CF')).toBe('6113');
    expect(sw(card, '00B2083405')).toBe('6A83'); // no record 8
    expect(sw(card, '00B2013405')).toBe('6C14'); // wrong Le
    expect(sw(card, '00B2013400').slice(-4)).toBe('9000'); // Le 00: the whole record
    expect(sw(card, '00B0000010')).toBe('6981'); // READ BINARY on a record file
    expect(sw(card, '00DC01340308 01 31'.replace(/ /g, ''))).toBe('6982'); // no writing
    expect(sw(card, '0020000000')).toBe('63C3'); // tries left
    expect(sw(card, '00200000031234')).toBe('6700');
    expect(sw(card, '002000000312345F')).toBe('6A80');
    expect(sw(card, '0084000008')).toMatch(/^[0-9A-F]{16}9000$/);
  });

  it('vpcd addresses are validated', () => {
    expect(parseVpcdAddress('127.0.0.1:35964')).toEqual({ host: '127.0.0.1', port: 35964 });
    expect(parseVpcdAddress(':36000')).toEqual({ host: '127.0.0.1', port: 36000 });
    expect(() => parseVpcdAddress('host:99999')).toThrow(/not 1-65535/);
    expect(() => parseVpcdAddress('a b')).toThrow(/HOST:PORT/);
  });
});
