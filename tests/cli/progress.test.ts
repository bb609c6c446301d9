/** The progress line on standard error (src/cli/progress.ts), on a fake terminal and a plain stream. */
import { describe, expect, it } from 'vitest';
import { startProgress } from '../../src/cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = { isTTY, columns: 60, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

describe('startProgress', () => {
  it('draws a live line on a terminal, prints lines above it, and clears it at the end', () => {
    const { stream, text } = fakeStream(true);
    const p = startProgress('replay', { total: 3, stream });
    p.note('a.json');
    p.print('FAIL a.json: step 1');
    p.tick();
    p.done();
    const out = text();
    expect(out).toContain('\rreplay: 0/3 a.json (0s)\x1b[K');
    expect(out).toContain('\r\x1b[KFAIL a.json: step 1\n');
    expect(out.endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes nothing but printed lines to a plain stream when the work is shorter than the interval', () => {
    const { stream, text } = fakeStream(false);
    const p = startProgress('crash: kills', { total: 2, stream, intervalMs: 60_000 });
    p.tick();
    p.print('crash: 25 kills');
    p.tick();
    p.done();
    expect(text()).toBe('crash: 25 kills\n');
  });
});
