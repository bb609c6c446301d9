/** The bench's device figures run in a child process under a watchdog (scripts/bench-device.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDeviceFigure } from '../../scripts/bench-device.ts';

const dir = mkdtempSync(join(tmpdir(), 'medpos-watchdog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe('runDeviceFigure', () => {
  it('returns the figure a child prints', async () => {
    const path = script('ok.ts', "process.stdout.write(JSON.stringify({ scans: 3, quick: process.argv.includes('--quick') }) + '\\n');\n");
    expect(await runDeviceFigure(path, true, 20_000)).toEqual({ scans: 3, quick: true });
  });

  it('fails the figure of a device that stops answering, with a message, and kills it', async () => {
    // A device call that never returns: the child blocks its own thread for good.
    const path = script('hang.ts', "process.stderr.write('waiting for the card\\n');\nAtomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n");
    const r = await runDeviceFigure(path, false, 3_000);
    expect(r.failed).toMatch(/stopped answering; killed after 3 s \(waiting for the card\)/);
  });

  it('fails the figure of a child that crashes', async () => {
    const path = script('crash.ts', "throw new Error('no reader');\n");
    const r = await runDeviceFigure(path, false, 20_000);
    expect(r.failed).toMatch(/exited with 1: .*no reader/);
  });
});
