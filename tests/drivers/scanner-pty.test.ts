/**
 * The scanner driver through a real pseudo-terminal pair made by socat (hardware.md §5.4, §7, §8):
 * the virtual scanner from drivers/scanner types into the "scanner" end, the driver reads the "host" end.
 * Also `medpos scan` and `medpos scanner emulate` as child processes.
 *
 * Without socat these tests are skipped with a printed reason, unless MEDPOS_HW=required, which makes
 * them fail instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ScannerDriver, type ScanEvent } from '../../src/drivers/scanner/driver.ts';
import { issueCode } from '../../src/platform/ecert-code.ts';
import { makeEan13, noiseBytes, VirtualScanner } from '../../drivers/scanner/virtual-scanner.ts';
import { countStatus, killChild, lineRecorder, PtyPair, record, socatAvailable, waitExit } from './scanner-helpers.ts';

const HAVE_SOCAT = socatAvailable();
const HW_REQUIRED = process.env.MEDPOS_HW === 'required';
const SKIP_REASON = 'socat is not installed: pty scanner tests skipped (set MEDPOS_HW=required to make this a failure)';
if (!HAVE_SOCAT && !HW_REQUIRED) console.warn(`[scanner-pty] ${SKIP_REASON}`);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/medpos.js', import.meta.url));
const KEY = Buffer.alloc(32, 0x5a);
const ecert = (psnNo: string): string =>
  issueCode({ psnNo, issuedAt: new Date(), ttlSeconds: 60, key: KEY, nonce: Buffer.from(psnNo.padEnd(16, '0').slice(0, 16)) });

// Everything a test starts is registered here and released in afterEach, even when the test fails.
const pairs: PtyPair[] = [];
const drivers: ScannerDriver[] = [];
const scanners: VirtualScanner[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) killChild(c);
  await Promise.allSettled(scanners.splice(0).map((s) => s.close()));
  await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
  await Promise.allSettled(pairs.splice(0).map((p) => p.dispose()));
});

async function newPair(): Promise<PtyPair> {
  const pair = new PtyPair();
  pairs.push(pair);
  await pair.start();
  return pair;
}

async function listeningDriver(pair: PtyPair, settings: { terminator?: 'any' | 'CR' | 'LF' | 'CRLF' } = {}) {
  const driver = new ScannerDriver({ path: pair.host, ...settings }, { pollIntervalMs: 100, reconnectInitialMs: 50, reconnectMaxMs: 200 });
  drivers.push(driver);
  const rec = record(driver);
  await driver.start();
  await rec.statuses.waitFor((s) => countStatus(s, 'listening') >= 1, 'listening');
  return { driver, ...rec };
}

async function openScanner(pair: PtyPair, terminator: 'CR' | 'LF' | 'CRLF' = 'CR'): Promise<VirtualScanner> {
  const s = await VirtualScanner.open({ path: pair.scanner, terminator });
  scanners.push(s);
  return s;
}

const texts = (scans: ScanEvent[]): string[] => scans.map((s) => s.text);

describe.runIf(!HAVE_SOCAT && HW_REQUIRED)('pty scanner (MEDPOS_HW=required)', () => {
  it('needs socat', () => {
    throw new Error('MEDPOS_HW=required but socat is not installed (apt-get install --no-install-recommends socat)');
  });
});

describe.skipIf(!HAVE_SOCAT)(`scanner driver over a socat pty pair${HAVE_SOCAT ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  it('codes and barcodes arrive classified', async () => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair);
    const scanner = await openScanner(pair);
    const code = ecert('43000000000000000001');
    const lines = [code, makeEan13('690123456789'), '81234560000123456789', 'HELLO'];
    for (const l of lines) await scanner.type(l);
    await scans.waitForCount(() => true, 4, 'four scans');
    expect(scans.items.map((s) => [s.kind, s.text])).toEqual([
      ['ecert', code],
      ['ean13', lines[1]],
      ['trace', '81234560000123456789'],
      ['unknown', 'HELLO'],
    ]);
  });

  it('a code split over several writes is reassembled, also when CR and LF are split', async () => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair);
    const scanner = await openScanner(pair, 'CRLF');
    const code = ecert('SPLIT-1');
    const code2 = ecert('SPLIT-2');
    await scanner.type(code, { chunks: 7, gapMs: 5 });
    await scanner.writeRaw(Buffer.from(`${code2}\r`));
    await scanner.drain();
    await scanner.writeRaw(Buffer.from('\n'));
    await scans.waitForCount(() => true, 2, 'two codes');
    expect(scans.items.map((s) => [s.kind, s.text])).toEqual([
      ['ecert', code],
      ['ecert', code2],
    ]);
  });

  it('CR, LF and CR LF all end a scan (terminator any)', async () => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair);
    const scanner = await openScanner(pair);
    await scanner.type('4006381333931', { terminator: 'CR' });
    await scanner.type('9780306406157', { terminator: 'LF' });
    await scanner.type('5901234123457', { terminator: 'CRLF' });
    await scans.waitForCount(() => true, 3, 'three scans');
    expect(texts(scans.items)).toEqual(['4006381333931', '9780306406157', '5901234123457']);
    expect(scans.items.every((s) => s.kind === 'ean13')).toBe(true);
  });

  it.each(['CR', 'LF', 'CRLF'] as const)('a driver set to %s reads a scanner sending %s', async (terminator) => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair, { terminator });
    const scanner = await openScanner(pair, terminator);
    await scanner.typeMany(['4006381333931', '81234560000123456789']);
    await scans.waitForCount(() => true, 2, 'two scans');
    expect(texts(scans.items)).toEqual(['4006381333931', '81234560000123456789']);
  });

  it('a burst of 1000 scans arrives complete and in order', async () => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair);
    const scanner = await openScanner(pair);
    const burst = Array.from({ length: 1000 }, (_, i) => `8123456${String(i).padStart(13, '0')}`);
    await scanner.typeMany(burst);
    await scans.waitForCount(() => true, 1000, 'the whole burst', 20_000);
    expect(texts(scans.items)).toEqual(burst);
    expect(scans.items.every((s) => s.kind === 'trace')).toBe(true);
  });

  it('a 100 KB line of noise is dropped with a warning; the next scan still works', async () => {
    const pair = await newPair();
    const { scans, statuses } = await listeningDriver(pair);
    const scanner = await openScanner(pair);
    await scanner.type(noiseBytes(100 * 1024));
    await scanner.type('4006381333931');
    await scans.waitFor((items) => items.some((s) => s.text === '4006381333931'), 'the good scan', 10_000);
    expect(texts(scans.items)).toEqual(['4006381333931']);
    expect(statuses.items.filter((s) => s.status === 'warning')).toHaveLength(1);
    expect(statuses.items.find((s) => s.status === 'warning')!.detail).toMatch(/4096/);
  });

  it('killing socat is reported; a new socat at the same path brings scans back to the same driver', async () => {
    const pair = await newPair();
    const { driver, scans, statuses } = await listeningDriver(pair);
    let scanner = await openScanner(pair);
    await scanner.type('4006381333931');
    await scans.waitForCount(() => true, 1, 'a scan before the unplug');

    await pair.stop('SIGKILL'); // the harshest unplug: socat leaves a dangling link behind
    await statuses.waitFor((s) => countStatus(s, 'disconnected') >= 1, 'disconnected');
    await scanner.close();

    await pair.start();
    await statuses.waitFor((s) => countStatus(s, 'listening') >= 2, 'listening again', 10_000);
    scanner = await openScanner(pair);
    await scanner.type('9780306406157');
    await scans.waitForCount(() => true, 2, 'a scan after the replug');
    expect(texts(scans.items)).toEqual(['4006381333931', '9780306406157']);
    expect(driver.state).toBe('listening');
    const seq = statuses.items.map((s) => s.status);
    expect(seq.slice(0, 3)).toEqual(['listening', 'disconnected', 'reconnecting']);
    expect(seq.at(-1)).toBe('listening');

    // And once more with a polite SIGTERM (socat removes its links).
    await scanner.close();
    await pair.stop('SIGTERM');
    await statuses.waitFor((s) => countStatus(s, 'disconnected') >= 2, 'disconnected again');
    await pair.start();
    await statuses.waitFor((s) => countStatus(s, 'listening') >= 3, 'listening a third time', 10_000);
    scanner = await openScanner(pair);
    await scanner.type('5901234123457');
    await scans.waitForCount(() => true, 3, 'a scan after the second replug');
  });

  it('a scan typed while the driver was not listening is not delivered later', async () => {
    const pair = new PtyPair({ verbose: true });
    pairs.push(pair);
    await pair.start();
    const scanner = await openScanner(pair);
    await scanner.type('4006381333931'); // nobody has the host end open yet
    // Wait until socat has passed the 14 bytes to the host end, so they sit there before the driver opens.
    await pair.relayed.waitFor((n) => n.reduce((a, b) => a + b, 0) >= 14, 'socat relaying the stale scan');
    const { scans } = await listeningDriver(pair);
    await scanner.type('9780306406157');
    await scans.waitForCount(() => true, 1, 'the fresh scan');
    expect(texts(scans.items)).toEqual(['9780306406157']);
  });
});

describe.skipIf(!HAVE_SOCAT)(`medpos scan / scanner emulate as child processes${HAVE_SOCAT ? '' : ' (skipped: socat is not installed)'}`, () => {
  const medpos = (args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MEDPOS_LOG_LEVEL: 'warn', ...env },
    });
    children.push(child);
    return child;
  };

  it('medpos scan prints JSON lines, survives socat going away and coming back, and exits 0 on SIGTERM', async () => {
    const pair = await newPair();
    const child = medpos(['scan', '--port', pair.host]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const out = lineRecorder(child);
    const parsed = (): Array<Record<string, unknown>> => out.items.map((l) => JSON.parse(l) as Record<string, unknown>);
    const nStatus = (status: string): number => parsed().filter((o) => o.kind === 'status' && o.status === status).length;

    await out.waitFor(() => nStatus('listening') >= 1, `the listening line (stderr: ${stderr})`, 15_000);
    expect(parsed()[0]).toEqual({ kind: 'status', status: 'listening', port: pair.host });

    let scanner = await openScanner(pair);
    const code = ecert('43000000000000000009');
    await scanner.type(code);
    await scanner.type('4006381333931');
    await scanner.type('81234560000123456789');
    await scanner.type(Buffer.from([0x41, 0x00, 0xff]));
    await out.waitFor((l) => l.length >= 5, 'four scan lines');
    expect(parsed().slice(1, 5)).toEqual([
      { kind: 'ecert', text: code },
      { kind: 'ean13', text: '4006381333931' },
      { kind: 'trace', text: '81234560000123456789' },
      { kind: 'unknown', text: 'A\\x00\\xff' },
    ]);

    await scanner.close();
    await pair.stop('SIGTERM');
    await out.waitFor(() => nStatus('disconnected') >= 1, 'a disconnected line');
    await pair.start();
    await out.waitFor(() => nStatus('listening') >= 2, 'listening after the replug', 10_000);
    scanner = await openScanner(pair);
    await scanner.type('9780306406157');
    await out.waitFor(() => parsed().some((o) => o.text === '9780306406157'), 'a scan after the replug');

    // Every line on standard output is one JSON object with a kind.
    for (const o of parsed()) expect(typeof o.kind).toBe('string');

    process.kill(child.pid!, 'SIGTERM');
    const exit = await waitExit(child);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('medpos scanner emulate types lines from standard input into the port', async () => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair);
    const child = medpos(['scanner', 'emulate', '--port', pair.scanner, '--terminator', 'CRLF', '--lines', '-', '--chunks', '3']);
    const out = lineRecorder(child);
    const code = ecert('EMU-1');
    child.stdin!.end(`${code}\n4006381333931\n\n81234560000123456789\n`);
    await scans.waitForCount(() => true, 3, 'three scans', 15_000);
    expect(scans.items.map((s) => [s.kind, s.text])).toEqual([
      ['ecert', code],
      ['ean13', '4006381333931'],
      ['trace', '81234560000123456789'],
    ]);
    expect(await waitExit(child)).toEqual({ code: 0, signal: null });
    expect(JSON.parse(out.items.at(-1)!)).toEqual({ typed: 3, port: pair.scanner });
  });

  it('medpos scanner emulate without --lines types the demo set', async () => {
    const pair = await newPair();
    const { scans } = await listeningDriver(pair);
    const child = medpos(['scanner', 'emulate', '--port', pair.scanner]);
    await scans.waitForCount(() => true, 5, 'the demo set', 15_000);
    expect(scans.items.map((s) => s.kind)).toEqual(['ecert', 'ean13', 'trace', 'unknown', 'unknown']);
    expect(await waitExit(child)).toEqual({ code: 0, signal: null });
  });
});

describe('medpos scan / scanner emulate argument errors', () => {
  const run = async (args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const { code } = await waitExit(child, 15_000);
    return { code, stderr, stdout };
  };

  it.each([
    [['scan'], /--port/],
    [['scan', '--port', '/dev/null', '--baud', 'fast'], /--baud/],
    [['scan', '--port', '/dev/null', '--terminator', 'NUL'], /--terminator/],
    [['scan', '--port', '/dev/null', '--baud', '0'], /baud/],
    [['scan', '--port', '/dev/null', '--prefix', 'x'.repeat(65)], /prefix/],
    [['scanner', 'emulate'], /--port/],
    [['scanner', 'emulate', '--port', '/dev/null', '--terminator', 'any'], /--terminator/],
    [['scanner', 'emulate', '--port', '/dev/null', '--chunks', '0'], /chunks/],
  ])('%j exits 2 with a message', async (args, pattern) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe('');
  });
});
