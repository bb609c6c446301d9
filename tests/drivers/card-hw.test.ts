/**
 * Through the real stack: pcscd + vsmartcard's vpcd + our virtual card (`medpos card insert`, or the
 * VpcdLink in this process), read by `medpos card read` as a child process and watched by a PcscReader
 * on the real pcsclite binding in this process. Runs under scripts/hw/with-pcscd.sh, which provides
 * PCSCLITE_CSOCK_NAME and MEDPOS_HW_*; without them the suite is skipped (or fails when
 * MEDPOS_HW=required). Every child is killed after each test, and each test waits until the reader
 * is empty again before the next one starts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPcscReader, formatPipe, type CardEvent, type PcscReader } from '../../src/drivers/card/index.ts';
import { atrFor, createVirtualCard, parseVpcdAddress, VpcdLink } from '../../drivers/vcard/index.ts';
import {
  BIN,
  DEMO_WORLD,
  demoImage,
  EventLog,
  expectedIdentity,
  GEN1,
  GEN2,
  GEN3,
  hwGate,
  killChildren,
  runMedpos,
  startChild,
  type Child,
} from './card-helpers.ts';

const gate = hwGate();
const READER0 = 'Virtual PCD 00 00';
const READER1 = 'Virtual PCD 00 01';
const hasOpensc = spawnSync('opensc-tool', ['--version'], { stdio: 'ignore' }).error === undefined;
const hasPcscScan = spawnSync('pcsc_scan', ['-h'], { stdio: 'ignore' }).error === undefined;
if (!gate.ok && !gate.required) console.warn(`card-hw: real-stack tests skipped: ${gate.reason}`);

if (!gate.ok && gate.required) describe('real PC/SC stack (MEDPOS_HW=required)', () => {
  it('has the harness environment', () => {
    throw new Error(`MEDPOS_HW=required but ${gate.ok ? '' : gate.reason}`);
  });
});

describe.skipIf(!gate.ok)(`card through pcscd + vpcd${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 60_000 }, () => {
  const vpcd = gate.ok ? gate.vpcd : '127.0.0.1:35963';
  let monitor: PcscReader;
  const events = new EventLog<CardEvent>();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medpos-card-hw-'));
    monitor = await createPcscReader({ reader: READER0 });
    monitor.on('card', events.push);
    await monitor.waitFor((s) => s.status === 'waiting for card', 10_000, 'the virtual reader');
  });

  afterEach(async () => {
    await killChildren();
    await monitor.waitForRemoval(10_000);
  });

  afterAll(async () => {
    await killChildren();
    await monitor?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function insert(args: string[]): Promise<Child> {
    const c = startChild(process.execPath, [BIN, 'card', 'insert', '--vpcd', vpcd, ...args]);
    await Promise.race([
      c.lines.waitFor((l) => l.includes('"event":"inserted"'), 'the card inserted', 15_000),
      c.exited.then((r) => Promise.reject(new Error(`card insert exited ${r.code}: ${c.stderr()}`))),
    ]);
    return c;
  }

  const insertCard = (cardNo: string, extra: string[] = []) => insert(['--world', DEMO_WORLD, '--card', cardNo, ...extra]);
  const read = (args: string[] = []) => runMedpos(['card', 'read', '--reader', READER0, '--timeout', '10', ...args]);

  async function remove(c: Child): Promise<void> {
    c.proc.kill('SIGINT');
    const r = await c.exited;
    expect(r.code).toBe(0);
    expect(c.lines.items.some((l) => l.includes('"event":"removed"'))).toBe(true);
  }

  for (const [gen, cardNo, name] of [
    ['1', GEN1, '李国栋'],
    ['2', GEN2, '陈喆'],
    ['3', GEN3, '李堃'],
  ] as const) {
    it(`generation ${gen} (${name}): medpos card read prints the identity in JSON and pipe, twice the same`, async () => {
      const c = await insertCard(cardNo);
      const expected = expectedIdentity(cardNo, READER0);
      const json = await read();
      expect(json.stderr).toBe('');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(expected);
      expect(json.stdout).toContain(name);
      const pipe = await read(['--format', 'pipe']);
      expect(pipe.code).toBe(0);
      expect(pipe.stdout).toBe(formatPipe(expected));
      expect(pipe.stdout.split('|')[4]).toBe(name);
      await remove(c);
    });
  }

  it('insertion and removal are seen by a running driver, with the card ATR and a new card number each time', async () => {
    const from = events.items.length;
    const c = await insertCard(GEN2);
    const inserted = await events.waitFor((e) => e.type === 'inserted', 'insertion', 10_000, from);
    expect(inserted).toMatchObject({ atr: atrFor('2.00').toString('hex').toUpperCase() });
    await remove(c);
    const removed = await events.waitFor((e) => e.type === 'removed', 'removal', 10_000, from);
    expect(removed.cardSeq).toBe((inserted as { cardSeq: number }).cardSeq);
    await monitor.waitFor((s) => s.status === 'waiting for card' && s.atr === null, 10_000, 'empty reader');
  });

  it('a wrong PIN counts down; the third blocks the card, and then even the right PIN is refused', async () => {
    const pin = demoImage(GEN3).pin;
    const wrong = pin === '999999' ? '888888' : '999999';
    await insertCard(GEN3);
    const ok = await read(['--pin', pin]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).psn_name).toBe('李堃');
    const w1 = await read(['--pin', wrong]);
    expect([w1.code, w1.stdout]).toEqual([4, '']);
    expect(w1.stderr).toMatch(/wrong PIN, 2 tries left/);
    const w2 = await read(['--pin', wrong]);
    expect(w2.code).toBe(4);
    expect(w2.stderr).toMatch(/wrong PIN, 1 try left/);
    const w3 = await read(['--pin', wrong]);
    expect([w3.code, w3.stdout]).toEqual([5, '']);
    expect(w3.stderr).toMatch(/blocked/);
    const right = await read(['--pin', pin]);
    expect(right.code).toBe(5);
    expect(right.stderr).toMatch(/blocked/);
  });

  it('a card pulled mid-read gives an error naming the step and no identity', async () => {
    const link = new VpcdLink(createVirtualCard(demoImage(GEN1)), parseVpcdAddress(vpcd));
    try {
      link.pullAfter(7);
      const from = events.items.length;
      await link.insert();
      await events.waitFor((e) => e.type === 'inserted', 'insertion', 10_000, from);
      const r = await read();
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/READ RECORD EF05 #7 \(card number\): the card was removed/);
      await events.waitFor((e) => e.type === 'removed', 'removal', 10_000, from);
    } finally {
      await link.remove();
    }
  });

  it('the reader is chosen by name: a card in slot 1 is read there, and not seen in slot 0', async () => {
    await insertCard(GEN1, ['--reader', '1']);
    const r = await runMedpos(['card', 'read', '--reader', READER1, '--timeout', '10']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expectedIdentity(GEN1, READER1));
    const none = await runMedpos(['card', 'read', '--reader', READER0, '--timeout', '1']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no card within 1 s \(reader Virtual PCD 00 00: waiting for card\)/);
  });

  it.skipIf(!hasOpensc)('opensc-tool reads the ATR and SELECTs the DF (9000 or 61xx); unknown commands get ISO status words', async () => {
    await insertCard(GEN2);
    await monitor.waitForCard(10_000);
    const atr = spawnSync('opensc-tool', ['-r', '0', '-a'], { encoding: 'utf8', timeout: 20_000 });
    expect(atr.status).toBe(0);
    expect(atr.stdout.trim().toUpperCase()).toBe(
      atrFor('2.00')
        .toString('hex')
        .toUpperCase()
        .replace(/(..)(?!$)/g, '$1:'),
    );
    const sel = spawnSync('opensc-tool', ['-r', '0', '-s', '00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF', '-s', '00 12 00 00'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(sel.status).toBe(0);
    expect(sel.stdout).toMatch(/Received \(SW1=0x(90, SW2=0x00|61, SW2=0x13)\)/);
    expect(sel.stdout).toMatch(/Received \(SW1=0x6D, SW2=0x00\)/);
  });

  it.skipIf(!hasPcscScan)('pcsc_scan sees the virtual card inserted, with its ATR', async () => {
    await insertCard(GEN2);
    await monitor.waitForCard(10_000);
    const scan = startChild('pcsc_scan', ['-n']);
    const atr = atrFor('2.00').toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
    await scan.lines.waitFor((l) => l.includes('Card inserted'), 'pcsc_scan: card inserted', 15_000);
    await scan.lines.waitFor((l) => l.includes(`ATR: ${atr}`), 'pcsc_scan: the ATR', 15_000);
  });

  it('a recorded trace replays to the same identity with no virtual card present', async () => {
    const file = join(dir, 'gen3-trace.json');
    const pin = demoImage(GEN3).pin;
    const card = await insertCard(GEN3);
    const recorded = await read(['--trace', file, '--pin', pin]);
    expect(recorded.code).toBe(0);
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace).toMatchObject({ format: 'medpos-card-trace/1', reader: READER0 });
    expect(JSON.stringify(trace)).not.toContain(pin);
    await remove(card);
    await monitor.waitForRemoval(10_000);

    const replay = await insert(['--trace', file]);
    const again = await read(['--pin', pin]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(recorded.stdout));
    expect(JSON.parse(again.stdout).psn_name).toBe('李堃');
    await remove(replay);
  });
});
