/**
 * Reader monitoring against real pcscd instances of their own (scripts/hw/pcscd-ctl.sh starts them in
 * the harness's network namespace, on vpcd ports of their own, so the shared pcscd is not disturbed):
 * pcscd absent when the driver starts, pcscd killed and restarted under a running driver with a card
 * in, and a pcscd without readers. The driver runs as `medpos card watch --read` (a child process:
 * libpcsclite reads PCSCLITE_CSOCK_NAME once per process), printing one JSON line per event.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CardIdentity, ReaderSnapshot } from '../../src/drivers/card/index.ts';
import { BIN, DEMO_WORLD, expectedIdentity, GEN1, GEN3, hwGate, killChildren, startChild, type Child } from './card-helpers.ts';

const gate = hwGate();
if (!gate.ok && !gate.required) console.warn(`card-hw-monitor: real-stack tests skipped: ${gate.reason}`);

type WatchLine =
  | ({ kind: 'status' } & ReaderSnapshot)
  | { kind: 'card'; type: 'inserted' | 'removed'; cardSeq: number }
  | { kind: 'identity'; cardSeq: number; identity: CardIdentity }
  | { kind: 'read-error'; code: string; message: string };

if (!gate.ok && gate.required) describe('real PC/SC monitoring (MEDPOS_HW=required)', () => {
  it('has the harness environment', () => {
    throw new Error(`MEDPOS_HW=required but ${gate.ok ? '' : gate.reason}`);
  });
});

describe.skipIf(!gate.ok)(`reader monitoring through real pcscd restarts${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 60_000 }, () => {
  const ctl = gate.ok ? gate.ctl : '';
  const started: string[] = [];

  function pcscd(action: 'start' | 'stop' | 'kill', name: string, ...args: string[]): Record<string, string> {
    const r = spawnSync('bash', [ctl, action, name, ...args], { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`pcscd-ctl ${action} ${name} failed (${r.status}): ${r.stderr}`);
    if (action === 'start' && !started.includes(name)) started.push(name);
    return Object.fromEntries(
      r.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  /** The socket path an instance will have, known before it starts. */
  const socketOf = (name: string) => join(process.env.MEDPOS_HW_DIR!, `pcscd-${name}`, 'run', 'pcscd.comm');

  function watch(name: string): Child & { next: (pred: (l: WatchLine) => boolean, what: string) => Promise<WatchLine> } {
    const c = startChild(process.execPath, [BIN, 'card', 'watch', '--read'], { PCSCLITE_CSOCK_NAME: socketOf(name) });
    let from = 0;
    const next = async (pred: (l: WatchLine) => boolean, what: string): Promise<WatchLine> => {
      const parse = (l: string): WatchLine | null => {
        try {
          return JSON.parse(l) as WatchLine;
        } catch {
          return null;
        }
      };
      const hit = await c.lines.waitFor((l) => { const p = parse(l); return p !== null && pred(p); }, what, 15_000, from);
      from = c.lines.items.indexOf(hit, from) + 1;
      return parse(hit)!;
    };
    return { ...c, next };
  }

  async function insertInto(vpcd: string, cardNo: string): Promise<Child> {
    const c = startChild(process.execPath, [BIN, 'card', 'insert', '--world', DEMO_WORLD, '--card', cardNo, '--vpcd', vpcd]);
    await c.lines.waitFor((l) => l.includes('"event":"inserted"'), 'the card inserted', 15_000);
    return c;
  }

  const isStatus = (s: ReaderSnapshot['status']) => (l: WatchLine) => l.kind === 'status' && l.status === s;

  afterEach(killChildren);
  afterAll(async () => {
    await killChildren();
    for (const name of started) spawnSync('bash', [ctl, 'stop', name], { timeout: 20_000 });
  });

  it('pcscd absent when the driver starts: no service, then the reader once pcscd is up', async () => {
    const name = `absent-${process.pid}`;
    const w = watch(name);
    const first = await w.next((l) => l.kind === 'status', 'first status');
    expect(first).toMatchObject({ status: 'no service' });
    expect((first as ReaderSnapshot).message).toMatch(/PC\/SC service not available/);
    const settings = pcscd('start', name);
    const ready = await w.next(isStatus('waiting for card'), 'the reader after pcscd started');
    expect(ready).toMatchObject({ reader: 'Virtual PCD 00 00' });
    await insertInto(settings.MEDPOS_HW_VPCD!, GEN1);
    const id = await w.next((l) => l.kind === 'identity', 'identity');
    expect((id as { identity: CardIdentity }).identity).toEqual(expectedIdentity(GEN1, 'Virtual PCD 00 00'));
  });

  it('pcscd killed and restarted: the running driver reports no service, recreates its context and reads the card again', async () => {
    const name = `restart-${process.pid}`;
    const settings = pcscd('start', name);
    const w = watch(name);
    await w.next(isStatus('waiting for card'), 'the reader');
    const card = await insertInto(settings.MEDPOS_HW_VPCD!, GEN3);
    const first = (await w.next((l) => l.kind === 'identity', 'first identity')) as { cardSeq: number; identity: CardIdentity };
    expect(first.identity.psn_name).toBe('李堃');

    pcscd('kill', name);
    const lost = await w.next(isStatus('no service'), 'no service after the kill');
    expect((lost as ReaderSnapshot).message).toMatch(/PC\/SC service (lost|not available)/);
    await card.lines.waitFor((l) => l.includes('"event":"reconnecting"'), 'the card noticing vpcd went away', 15_000);

    pcscd('start', name);
    const again = (await w.next((l) => l.kind === 'identity', 'identity after the restart')) as { cardSeq: number; identity: CardIdentity };
    expect(again.identity).toEqual(first.identity);
    expect(again.cardSeq).toBeGreaterThan(first.cardSeq);
    expect(w.proc.exitCode).toBeNull();

    // The driver still exits cleanly on SIGTERM: every native handle is closed.
    w.proc.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
  });

  it('a pcscd without readers: no reader', async () => {
    const name = `noreader-${process.pid}`;
    pcscd('start', name, '--no-readers');
    const w = watch(name);
    const s = await w.next((l) => l.kind === 'status' && l.status !== 'no service', 'a status from the service');
    expect(s).toMatchObject({ status: 'no reader', readers: [], message: 'no card reader connected' });
  });
});
