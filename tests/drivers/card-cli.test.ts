/**
 * `medpos card` as a child process, without the PC/SC harness: usage errors exit 2, a recorded trace
 * replays in process (--replay), an invalid trace or world is refused with the place named, and with
 * no pcscd the read ends with "no service" (exit 3) instead of hanging.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessReader, formatPipe, readIdentity, TraceRecorder } from '../../src/drivers/card/index.ts';
import { createVirtualCard } from '../../drivers/vcard/index.ts';
import { DEMO_WORLD, demoImage, GEN2, killChildren, runMedpos } from './card-helpers.ts';

let dir: string;
let traceFile: string;
let expectedPipe: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medpos-card-cli-'));
  traceFile = join(dir, 'gen2.json');
  const reader = createInProcessReader(createVirtualCard(demoImage(GEN2)), { name: 'Recorded reader' });
  const trace = new TraceRecorder();
  expectedPipe = formatPipe(await readIdentity(reader, { trace }));
  trace.save(traceFile);
  await reader.close();
});
afterEach(killChildren);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('medpos card (no PC/SC needed)', () => {
  it('usage errors exit 2 with a message', async () => {
    for (const args of [
      ['card', 'read', '--pin', '12'],
      ['card', 'read', '--timeout', 'soon'],
      ['card', 'read', '--timeout', '0'],
      ['card', 'read', '--format', 'xml'],
      ['card', 'insert', '--card', 'A00000001'],
      ['card', 'insert', '--world', DEMO_WORLD, '--card', 'A00000001', '--trace', traceFile],
      ['card', 'insert', '--world', DEMO_WORLD, '--card', 'A00000001', '--vpcd', 'host:70000'],
      ['card', 'insert', '--world', DEMO_WORLD, '--card', 'Z99999999'],
    ]) {
      const r = await runMedpos(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/error|no card|must|invalid|give/i);
      expect(r.stdout).toBe('');
    }
  });

  it('--replay reads a recorded trace in process: the same identity, UTF-8 on standard output', async () => {
    const r = await runMedpos(['card', 'read', '--replay', traceFile, '--format', 'pipe']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expectedPipe);
    expect(r.stdout).toContain('|陈喆|');
    const json = await runMedpos(['card', 'read', '--replay', traceFile]);
    expect(JSON.parse(json.stdout)).toMatchObject({ psn_name: '陈喆', spec_ver: '2.00', device_id: 'Recorded reader' });
  });

  it('an invalid trace file is refused with the file and the field named (exit 1)', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'medpos-card-trace/1', recorded_at: '', reader: 'r', atr: '3B', exchanges: [] }));
    const r = await runMedpos(['card', 'read', '--replay', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`trace ${bad}: not a valid medpos-card-trace/1 file: .atr: must be 2 to 33 bytes`);
    const missing = await runMedpos(['card', 'insert', '--trace', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the file \(ENOENT\)/);
  });

  it('an unreachable vpcd is a clear failure, not a hang', async () => {
    const r = await runMedpos(['card', 'insert', '--world', DEMO_WORLD, '--card', 'A00000001', '--vpcd', '127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach vpcd at 127\.0\.0\.1:9/);
  });

  it('no pcscd: the read reports no service and exits 3 after --timeout', async () => {
    const r = await runMedpos(['card', 'read', '--timeout', '0.5'], { PCSCLITE_CSOCK_NAME: join(dir, 'no-pcscd.comm') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PC\/SC (service not available|is unavailable)/);
    expect(r.stdout).toBe('');
  });
});
