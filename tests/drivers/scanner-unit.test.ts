/** Scanner driver unit tests: classification, splitting, bounds, the stale-scan guard, and the driver on MockBinding. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import {
  classifyLine,
  ean13CheckDigit,
  isValidEan13,
  visibleText,
} from '../../src/drivers/scanner/classify.ts';
import { LineAssembler, LineSplitter, type SplitEvent } from '../../src/drivers/scanner/line-splitter.ts';
import { MAX_LINE_BYTES, ScannerSettingsSchema, type Terminator } from '../../src/drivers/scanner/settings.ts';
import { StaleScanGuard, type DropReason, type TimedScan } from '../../src/drivers/scanner/stale-guard.ts';
import { ScannerDriver } from '../../src/drivers/scanner/driver.ts';
import { issueCode } from '../../src/platform/ecert-code.ts';
import { countStatus, MockBinding, record, UnpluggableMockBinding } from './scanner-helpers.ts';

const KEY = Buffer.alloc(32, 7);
const code = (psnNo = '43000000000000000001'): string =>
  issueCode({ psnNo, issuedAt: new Date('2026-01-01T00:00:00Z'), ttlSeconds: 60, key: KEY, nonce: Buffer.alloc(16, 1) });

const texts = (scans: Array<{ text: string }>): string[] => scans.map((s) => s.text);
const lines = (events: SplitEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'line' ? [e.bytes.toString('latin1')] : []));

// ---------------------------------------------------------------- classification

describe('classification', () => {
  const table: Array<[string, string | Buffer, 'ecert' | 'ean13' | 'trace' | 'unknown', string?]> = [
    ['e-certificate code', code(), 'ecert'],
    ['valid EAN-13', '4006381333931', 'ean13'],
    ['valid EAN-13 (ISBN)', '9780306406157', 'ean13'],
    ['EAN-13, wrong check digit', '4006381333932', 'unknown'],
    ['12 digits', '400638133393', 'unknown'],
    ['14 digits', '40063813339310', 'unknown'],
    ['20-digit trace code', '81234560000123456789', 'trace'],
    ['19 digits', '8123456000012345678', 'unknown'],
    ['21 digits', '812345600001234567890', 'unknown'],
    ['code-like but broken', 'MPEC1.abc.def', 'unknown'],
    ['code with a trailing space', `${code()} `, 'unknown'],
    ['plain text', 'HELLO', 'unknown', 'HELLO'],
    ['digits with a space', '4006381 333931', 'unknown'],
    ['Chinese text stays readable', Buffer.from('药品追溯', 'utf8'), 'unknown', '药品追溯'],
    ['controls are escaped', Buffer.from('a\x00b\x1b[31m\x07'), 'unknown', 'a\\x00b\\x1b[31m\\x07'],
    ['a backslash is escaped', 'a\\x00', 'unknown', 'a\\\\x00'],
    ['invalid UTF-8 bytes are escaped', Buffer.from([0x41, 0xff, 0xfe, 0x42]), 'unknown', 'A\\xff\\xfeB'],
    ['C1 controls are escaped', Buffer.from('a\u0085b', 'utf8'), 'unknown', 'a\\x85b'],
    ['bidi override is escaped', Buffer.from('a\u202eb', 'utf8'), 'unknown', 'a\\u{202e}b'],
    ['a BOM is escaped, not swallowed', Buffer.from('\ufeffx', 'utf8'), 'unknown', '\\u{feff}x'],
  ];
  it.each(table)('%s', (_name, input, kind, text) => {
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
    const got = classifyLine(bytes);
    expect(got.kind).toBe(kind);
    if (text !== undefined) expect(got.text).toBe(text);
    if (kind !== 'unknown') expect(got.text).toBe(input);
  });

  it('EAN-13 check digits of known barcodes', () => {
    expect(ean13CheckDigit('400638133393')).toBe(1);
    expect(ean13CheckDigit('978030640615')).toBe(7);
    expect(ean13CheckDigit('590123412345')).toBe(7);
    expect(ean13CheckDigit('000000000000')).toBe(0);
    expect(() => ean13CheckDigit('12345')).toThrow(TypeError);
  });

  it('exactly one check digit is valid for any 12 digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{12}$/), (first12) => {
        const valid = [...'0123456789'].filter((d) => isValidEan13(first12 + d));
        expect(valid).toEqual([String(ean13CheckDigit(first12))]);
      }),
    );
  });

  it('the prefix is stripped when present and left alone when absent', () => {
    expect(classifyLine(Buffer.from(']Q14006381333931'), ']Q1')).toEqual({ kind: 'ean13', text: '4006381333931' });
    expect(classifyLine(Buffer.from('4006381333931'), ']Q1')).toEqual({ kind: 'ean13', text: '4006381333931' });
    expect(classifyLine(Buffer.from('X]Q14006381333931'), ']Q1').kind).toBe('unknown');
  });

  it('visibleText of printable ASCII is the text itself', () => {
    expect(visibleText(Buffer.from('ABC-123 xyz'))).toBe('ABC-123 xyz');
  });
});

// ---------------------------------------------------------------- splitter

describe('line splitter', () => {
  it.each<[Terminator, string, string[]]>([
    ['any', 'A\rB\nC\r\nD\r\n', ['A', 'B', 'C', 'D']],
    ['CR', 'A\rB\rC\r', ['A', 'B', 'C']],
    ['LF', 'A\nB\nC\n', ['A', 'B', 'C']],
    ['CRLF', 'A\r\nB\r\n', ['A', 'B']],
    ['CRLF', 'A\rB\r\nC\nD\r\n', ['A\rB', 'C\nD']],
    ['LF', 'A\r\nB\n', ['A\r', 'B']],
    ['any', '\r\n\r\nA\r\r\n\nB\n', ['A', 'B']],
  ])('terminator %s: %j', (terminator, input, expected) => {
    expect(lines(new LineAssembler(terminator).push(Buffer.from(input, 'latin1')))).toEqual(expected);
  });

  it('reassembles a line split over many chunks, including between CR and LF', () => {
    for (const terminator of ['any', 'CRLF'] as const) {
      const a = new LineAssembler(terminator);
      const out = [...'SCAN-1\r'].flatMap((ch) => a.push(Buffer.from(ch)));
      out.push(...a.push(Buffer.from('\nSCAN-2\r')), ...a.push(Buffer.from('\n')));
      expect(lines(out)).toEqual(['SCAN-1', 'SCAN-2']);
    }
  });

  it('CRLF mode: a CR at the end of a chunk that is not followed by LF stays data', () => {
    const a = new LineAssembler('CRLF');
    const out = [...a.push(Buffer.from('AB\r')), ...a.push(Buffer.from('C\r\n'))];
    expect(lines(out)).toEqual(['AB\rC']);
  });

  it('accepts a line of exactly 4096 bytes', () => {
    const a = new LineAssembler('any');
    const out = a.push(Buffer.concat([Buffer.alloc(MAX_LINE_BYTES, 0x41), Buffer.from('\r')]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'line' });
  });

  it('drops a 4097-byte line with one overflow event; the next line is intact', () => {
    const a = new LineAssembler('any');
    const out = [
      ...a.push(Buffer.alloc(3000, 0x41)),
      ...a.push(Buffer.alloc(1097, 0x42)),
      ...a.push(Buffer.alloc(50_000, 0x43)),
      ...a.push(Buffer.from('\r4006381333931\r')),
    ];
    expect(out.filter((e) => e.type === 'overflow')).toEqual([{ type: 'overflow', droppedBytes: 4097, limit: 4096 }]);
    expect(lines(out)).toEqual(['4006381333931']);
    expect(a.buffered).toBe(0);
  });

  it('never buffers more than the bound', () => {
    const a = new LineAssembler('any');
    for (let i = 0; i < 100; i++) {
      a.push(Buffer.alloc(1000, 0x41));
      expect(a.buffered).toBeLessThanOrEqual(MAX_LINE_BYTES);
    }
  });

  it('property: lines survive any chunking, for each terminator', () => {
    const T = { CR: '\r', LF: '\n', CRLF: '\r\n', any: '\r\n' } as const;
    fc.assert(
      fc.property(
        fc.constantFrom<Terminator>('any', 'CR', 'LF', 'CRLF'),
        fc.array(fc.stringMatching(/^[\x20-\x7e]{1,80}$/), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (terminator, input, cuts) => {
          const wire = Buffer.from(input.map((l) => l + T[terminator]).join(''), 'latin1');
          const a = new LineAssembler(terminator);
          const out: SplitEvent[] = [];
          let off = 0;
          for (let i = 0; off < wire.length; i++) {
            const n = cuts[i % cuts.length]!;
            out.push(...a.push(wire.subarray(off, off + n)));
            off += n;
          }
          expect(lines(out)).toEqual(input);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('as a Transform: objects out, partial line discarded at the end', async () => {
    const s = new LineSplitter('any');
    const got: SplitEvent[] = [];
    s.on('data', (e: SplitEvent) => got.push(e));
    const ended = new Promise((r) => s.on('end', r));
    s.write(Buffer.from('ONE\rTW'));
    s.write(Buffer.from('O\rpartial'));
    s.end();
    await ended;
    expect(lines(got)).toEqual(['ONE', 'TWO']);
  });
});

// ---------------------------------------------------------------- settings

describe('settings', () => {
  it('defaults', () => {
    expect(ScannerSettingsSchema.parse({ path: '/dev/ttyACM0' })).toEqual({
      path: '/dev/ttyACM0',
      baud: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      terminator: 'any',
      prefix: '',
    });
  });
  it.each([
    [{}],
    [{ path: '' }],
    [{ path: '/x', baud: -1 }],
    [{ path: '/x', baud: 9600.5 }],
    [{ path: '/x', dataBits: 9 }],
    [{ path: '/x', parity: 'weird' }],
    [{ path: '/x', stopBits: 3 }],
    [{ path: '/x', terminator: 'CRCR' }],
    [{ path: '/x', prefix: 'a\rb' }],
    [{ path: '/x', extra: 1 }],
  ])('rejects %j', (input) => {
    expect(ScannerSettingsSchema.safeParse(input).success).toBe(false);
  });
});

// ---------------------------------------------------------------- stale-scan guard

describe('stale-scan guard (fake clock)', () => {
  let now = 0;
  const clock = (): number => now;
  let drops: Array<[string, DropReason]> = [];
  const scan = (text: string, at = now, kind: TimedScan['kind'] = 'ecert'): TimedScan => ({ kind, text, at });
  const guard = (maxAgeMs?: number): StaleScanGuard =>
    new StaleScanGuard({ clock, onDrop: (s, r) => drops.push([s.text, r]), ...(maxAgeMs === undefined ? {} : { maxAgeMs }) });

  beforeEach(() => {
    now = 1_000_000;
    drops = [];
  });

  it('drops a scan that arrives when no checkout is waiting', () => {
    const g = guard();
    expect(g.offer(scan('early'))).toBe(false);
    const co = g.beginCheckout();
    expect(g.takeFor(co.startedAt)).toBeUndefined();
    expect(drops).toEqual([['early', 'no_checkout']]);
  });

  it('hands a fresh scan to the waiting checkout', () => {
    const g = guard();
    const co = g.beginCheckout();
    now += 500;
    g.offer(scan('fresh'));
    now += 2000;
    expect(g.takeFor(co.startedAt)?.text).toBe('fresh');
    expect(g.takeFor(co.startedAt)).toBeUndefined();
    expect(drops).toEqual([]);
  });

  it('drops a scan older than 3 s by default (and keeps one exactly 3 s old)', () => {
    const g = guard();
    const co = g.beginCheckout();
    g.offer(scan('old'));
    now += 3001;
    expect(g.takeFor(co.startedAt)).toBeUndefined();
    expect(drops).toEqual([['old', 'stale']]);
    g.offer(scan('edge'));
    now += 3000;
    expect(g.takeFor(co.startedAt)?.text).toBe('edge');
  });

  it('N is configurable', () => {
    const g = guard(10_000);
    const co = g.beginCheckout();
    g.offer(scan('slow'));
    now += 9000;
    expect(g.takeFor(co.startedAt)?.text).toBe('slow');
  });

  it('a scan meant for the previous customer never pays for the next one', () => {
    const g = guard();
    const first = g.beginCheckout();
    now += 100;
    g.offer(scan('for-first'));
    // The next checkout starts before the first ends; the old scan predates it.
    now += 100;
    const second = g.beginCheckout();
    first.end();
    now += 100;
    expect(g.takeFor(second.startedAt)).toBeUndefined();
    expect(drops).toEqual([['for-first', 'before_checkout']]);
  });

  it('ending the last checkout drops what is queued', () => {
    const g = guard();
    const co = g.beginCheckout();
    g.offer(scan('left'));
    co.end();
    co.end();
    expect(g.pending).toHaveLength(0);
    expect(drops).toEqual([['left', 'checkout_ended']]);
    expect(g.waiting).toBe(false);
  });

  it('filters by kind, leaving other kinds queued; the queue is bounded', () => {
    const g = new StaleScanGuard({ clock, capacity: 2, onDrop: (s, r) => drops.push([s.text, r]) });
    const co = g.beginCheckout();
    g.offer(scan('item', now, 'ean13'));
    g.offer(scan('cert', now, 'ecert'));
    expect(g.takeFor(co.startedAt, ['ecert'])?.text).toBe('cert');
    expect(g.pending.map((s) => s.text)).toEqual(['item']);
    g.offer(scan('a', now, 'ean13'));
    g.offer(scan('b', now, 'ean13'));
    expect(drops).toEqual([['item', 'overflow']]);
  });
});

// ---------------------------------------------------------------- driver on MockBinding

describe('ScannerDriver with MockBinding', () => {
  const PATH = '/dev/fake-scanner';
  let binding: UnpluggableMockBinding;
  let drivers: ScannerDriver[] = [];
  let now = 1_700_000_000_000;

  const makeDriver = (
    settings: Partial<Parameters<typeof ScannerSettingsSchema.parse>[0]> = {},
    options: ConstructorParameters<typeof ScannerDriver>[1] = {},
  ): ScannerDriver => {
    const d = new ScannerDriver(
      { path: PATH, ...settings },
      { binding, clock: () => now, pollIntervalMs: 20, reconnectInitialMs: 10, reconnectMaxMs: 40, ...options },
    );
    drivers.push(d);
    return d;
  };

  beforeEach(() => {
    MockBinding.reset();
    MockBinding.createPort(PATH, { echo: false, record: true });
    binding = new UnpluggableMockBinding();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(drivers.map((d) => d.close()));
    drivers = [];
    MockBinding.reset();
  });

  it('reports listening, then classified scans stamped by the clock', async () => {
    const d = makeDriver();
    const { scans, statuses } = record(d);
    await d.start();
    expect(statuses.items[0]).toEqual({ status: 'listening', port: PATH });
    const port = binding.current(PATH);
    port.emitData(`${code()}\r`);
    await scans.waitForCount(() => true, 1, 'the code');
    now += 5;
    port.emitData('4006381333931\r81234560000123456789\rHELLO\x00\r');
    await scans.waitForCount(() => true, 4, 'four scans');
    expect(scans.items.map((s) => [s.kind, s.text])).toEqual([
      ['ecert', code()],
      ['ean13', '4006381333931'],
      ['trace', '81234560000123456789'],
      ['unknown', 'HELLO\\x00'],
    ]);
    expect(scans.items[0]!.at).toBe(1_700_000_000_000);
    expect(scans.items[1]!.at).toBe(1_700_000_000_005);
  });

  it.each<[Terminator | undefined, string]>([
    [undefined, '\r'],
    [undefined, '\n'],
    [undefined, '\r\n'],
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('terminator %s with %j', async (terminator, ending) => {
    const d = makeDriver(terminator ? { terminator } : {});
    const { scans } = record(d);
    await d.start();
    binding.current(PATH).emitData(`4006381333931${ending}9780306406157${ending}`);
    await scans.waitForCount(() => true, 2, 'two scans');
    expect(scans.items.map((s) => s.text)).toEqual(['4006381333931', '9780306406157']);
  });

  it('reassembles a code split over several reads', async () => {
    MockBinding.reset();
    MockBinding.createPort(PATH, { maxReadSize: 7 });
    const d = makeDriver();
    const { scans } = record(d);
    await d.start();
    const c = code();
    const port = binding.current(PATH);
    for (let i = 0; i < c.length; i += 13) port.emitData(c.slice(i, i + 13));
    port.emitData('\r');
    port.emitData('\n');
    await scans.waitForCount(() => true, 1, 'the code');
    expect(scans.items).toEqual([{ kind: 'ecert', text: c, at: now }]);
  });

  it('strips a configured prefix', async () => {
    const d = makeDriver({ prefix: ']Q1' });
    const { scans } = record(d);
    await d.start();
    binding.current(PATH).emitData(`]Q1${code()}\r]Q14006381333931\r`);
    await scans.waitForCount(() => true, 2, 'two scans');
    expect(scans.items.map((s) => s.kind)).toEqual(['ecert', 'ean13']);
  });

  it('drops a line over 4096 bytes with a warning, and the next scan works', async () => {
    const d = makeDriver();
    const { scans, statuses } = record(d);
    await d.start();
    const port = binding.current(PATH);
    port.emitData(Buffer.alloc(5000, 0x41));
    port.emitData(Buffer.alloc(20_000, 0x42));
    port.emitData('\r4006381333931\r');
    await scans.waitForCount(() => true, 1, 'the good scan');
    expect(scans.items.map((s) => s.text)).toEqual(['4006381333931']);
    expect(statuses.items.filter((s) => s.status === 'warning')).toEqual([
      { status: 'warning', port: PATH, detail: 'line longer than 4096 bytes dropped' },
    ]);
  });

  it('survives binary noise', async () => {
    const d = makeDriver();
    const { scans } = record(d);
    await d.start();
    const port = binding.current(PATH);
    for (let i = 0; i < 50; i++) port.emitData(randomBytes(200 + i * 37));
    port.emitData('\r4006381333931\r');
    await scans.waitFor((items) => items.some((s) => s.text === '4006381333931'), 'the good scan after noise');
    for (const s of scans.items.slice(0, -1)) expect(s.kind).toBe('unknown');
    expect(d.state).toBe('listening');
  });

  it('reports an unplug (read error) and reconnects by itself when the port is back', async () => {
    // A slow watchdog: the read error alone must be noticed.
    const d = makeDriver({}, { pollIntervalMs: 600_000 });
    const { scans, statuses } = record(d);
    await d.start();
    binding.unplug(PATH);
    await statuses.waitFor((s) => countStatus(s, 'reconnecting') >= 1, 'reconnecting');
    expect(statuses.items.map((s) => s.status)).toEqual(['listening', 'disconnected', 'reconnecting']);
    expect(statuses.items[1]!.detail).toMatch(/disconnected/);
    binding.replug(PATH);
    await statuses.waitFor((s) => countStatus(s, 'listening') >= 2, 'listening again');
    binding.current(PATH).emitData('4006381333931\r');
    await scans.waitForCount(() => true, 1, 'a scan after the reconnection');
  });

  it('notices a port that leaves the port list (watchdog), then comes back', async () => {
    const d = makeDriver();
    const { scans, statuses } = record(d);
    await d.start();
    binding.unplug(PATH, { keepReading: true });
    await statuses.waitFor((s) => countStatus(s, 'disconnected') >= 1, 'disconnected');
    expect(statuses.items.find((s) => s.status === 'disconnected')!.detail).toMatch(/is gone/);
    expect(binding.isOpen(PATH)).toBe(false);
    binding.replug(PATH);
    await statuses.waitFor((s) => countStatus(s, 'listening') >= 2, 'listening again');
    binding.current(PATH).emitData('81234560000123456789\n');
    await scans.waitForCount(() => true, 1, 'a scan after the reconnection');
    expect(scans.items[0]!.kind).toBe('trace');
  });

  it('flushes bytes already waiting in the port when it opens (a stale scan from before)', async () => {
    MockBinding.reset();
    MockBinding.createPort(PATH, { readyData: Buffer.from('4006381333931\r') });
    const d = makeDriver();
    const { scans } = record(d);
    await d.start();
    binding.current(PATH).emitData('9780306406157\r');
    await scans.waitForCount(() => true, 1, 'the fresh scan');
    expect(texts(scans.items)).toEqual(['9780306406157']);
  });

  it('starts without the port, reports it, and opens it once it appears', async () => {
    MockBinding.reset();
    const d = makeDriver();
    const { statuses } = record(d);
    await d.start();
    expect(statuses.items.map((s) => s.status)).toEqual(['error', 'reconnecting']);
    MockBinding.createPort(PATH);
    await statuses.waitFor((s) => countStatus(s, 'listening') >= 1, 'listening');
  });

  it('close() releases the port and every timer, while listening and while reconnecting', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const a = makeDriver();
    const rec = record(a);
    await a.start();
    expect(vi.getTimerCount()).toBeGreaterThan(0); // the watchdog
    await a.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(binding.isOpen(PATH)).toBe(false);
    expect(rec.statuses.items.at(-1)).toEqual({ status: 'closed', port: PATH });
    expect(a.state).toBe('closed');

    // The lock is released: the same path opens again, and a second driver can reconnect-wait and close.
    const b = makeDriver();
    const recB = record(b);
    await b.start();
    binding.unplug(PATH);
    await recB.statuses.waitFor((s) => countStatus(s, 'reconnecting') >= 1, 'reconnecting');
    expect(vi.getTimerCount()).toBeGreaterThan(0); // the retry timer
    await b.close();
    expect(vi.getTimerCount()).toBe(0);
    await b.close(); // idempotent
  });

  it('feeds the stale-scan guard: only a scan made during the checkout is taken', async () => {
    const guard = new StaleScanGuard({ clock: () => now });
    const d = makeDriver();
    const { scans } = record(d);
    d.on('scan', (s) => guard.offer(s));
    await d.start();
    const port = binding.current(PATH);
    port.emitData(`${code('STALE')}\r`);
    await scans.waitForCount(() => true, 1, 'the stale scan');
    now += 10_000;
    const co = guard.beginCheckout();
    port.emitData(`${code('FRESH')}\r`);
    await scans.waitForCount(() => true, 2, 'the fresh scan');
    now += 1000;
    expect(guard.takeFor(co.startedAt)?.text).toBe(code('FRESH'));
  });
});
