/**
 * Test helpers for the card driver: the demo world's cards and their expected identities, an event
 * log with timed waits, a fake pcsclite binding (unit tests only), child processes that are always
 * killed, and the gate of the real-stack tests (scripts/hw/with-pcscd.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorld, type World } from '../../src/core/world.ts';
import type { CardIdentity, NativeContext, NativeReader, PcscFactory, SimulatedCard } from '../../src/drivers/card/index.ts';
import { atrFor, cardImageFromWorld, type CardImage } from '../../drivers/vcard/index.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_WORLD = resolve(ROOT, 'fixtures/worlds/demo');
export const BIN = resolve(ROOT, 'bin/medpos.js');

let demo: World | undefined;
export function demoWorld(): World {
  demo ??= loadWorld(DEMO_WORLD);
  return demo;
}

export function demoImage(cardNo: string): CardImage {
  return cardImageFromWorld(demoWorld(), cardNo);
}

/** Demo cards the tests lean on (checked against the world in card-unit.test.ts). */
export const GEN1 = 'A00000004'; // 李国栋, 1.00
export const GEN2 = 'A00000005'; // 陈喆, 2.00
export const GEN3 = 'A00000003'; // 李堃, 3.00

/** The identity a reader must report for a demo card, from the world (chip overrides applied). */
export function expectedIdentity(cardNo: string, deviceId: string, terminalId = '000000000000'): CardIdentity {
  const img = demoImage(cardNo);
  return {
    admdvs: img.card_sn.slice(0, 6),
    certno: img.certno,
    card_no: img.card_no,
    card_sn: img.card_sn.toUpperCase(),
    psn_name: img.psn_name,
    atr: atrFor(img.spec_ver).toString('hex').toUpperCase(),
    spec_ver: img.spec_ver,
    issue_date: img.issue_date,
    expiry_date: img.expiry_date,
    terminal_id: terminalId,
    device_id: deviceId,
    gend: img.gend,
    naty: img.naty.padStart(2, '0'),
    brdy: img.brdy,
  };
}

/** Collects items; waitFor re-checks on every push and rejects after timeoutMs with what it saw. */
export class EventLog<T> {
  readonly items: T[] = [];
  private waiters = new Set<() => void>();

  push = (item: T): void => {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  };

  waitFor(pred: (item: T) => boolean, what: string, timeoutMs = 5000, from = 0): Promise<T> {
    const find = () => this.items.slice(from).find(pred);
    const hit = find();
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise<T>((res, rej) => {
      const check = () => {
        const h = find();
        if (h === undefined) return;
        cleanup();
        res(h);
      };
      const timer = setTimeout(() => {
        cleanup();
        rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(this.items.slice(-8)).slice(0, 1500)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// A fake pcsclite binding for the monitor's unit tests: readers appear and go, cards go in and out,
// the service dies and comes back. Transmit is served by a SimulatedCard.

export const ST = { EMPTY: 0x10, PRESENT: 0x20, MUTE: 0x200 };

export class FakeNativeReader extends EventEmitter implements NativeReader {
  connected = false;
  closed = false;
  card: SimulatedCard | null = null;
  events = 0;
  transmits = 0;

  constructor(readonly name: string) {
    super();
  }

  /** Reports the state like pcsclite's status thread: PRESENT/EMPTY plus the event counter. */
  report(extra = 0): void {
    const state = ((this.events & 0xffff) << 16) | (this.card ? ST.PRESENT : ST.EMPTY) | extra;
    this.emit('status', { state, atr: this.card ? this.card.atr : Buffer.alloc(0) });
  }

  insert(card: SimulatedCard): void {
    this.card = card;
    this.events++;
    card.reset();
    this.report();
  }

  remove(): void {
    this.card = null;
    this.events++;
    this.report();
  }

  connect(_o: { share_mode?: number; protocol?: number }, cb: (err: unknown, p: number) => void): void {
    setImmediate(() => {
      if (!this.card) return cb(new Error('SCardConnect error: No smart card inserted.(0x8010000c)'), 0);
      this.connected = true;
      cb(null, 1);
    });
  }

  transmit(data: Buffer, _len: number, _p: number, cb: (err: unknown, r: Buffer) => void): void {
    this.transmits++;
    setImmediate(() => cb(null, this.card ? this.card.process(Buffer.from(data)) : Buffer.alloc(0)));
  }

  disconnect(_d: number, cb: (err: unknown) => void): void {
    this.connected = false;
    setImmediate(() => cb(null));
  }

  close(): void {
    this.closed = true;
  }
}

export class FakeNativeContext extends EventEmitter implements NativeContext {
  readers: Record<string, FakeNativeReader> = {};
  closed = false;

  addReader(name: string): FakeNativeReader {
    const r = new FakeNativeReader(name);
    this.readers[name] = r;
    this.emit('reader', r);
    r.report();
    return r;
  }

  /** The reader is unplugged: pcsclite closes it and emits 'end'. */
  unplug(name: string): void {
    const r = this.readers[name]!;
    delete this.readers[name];
    r.close();
    r.emit('end');
  }

  /** pcscd died: the context and every reader thread report errors, readers end. */
  die(): void {
    this.emit('error', new Error('SCardGetStatusChange error: RPC transport error.(0x80100013)'));
    for (const r of Object.values(this.readers)) {
      r.emit('error', new Error('SCardGetStatusChange error: RPC transport error.(0x80100013)'));
      r.emit('end');
    }
  }

  close(): void {
    this.closed = true;
  }
}

/** A pcsclite stand-in whose service can be up or down; every context it made is kept. */
export class FakePcsc {
  up = true;
  contexts: FakeNativeContext[] = [];
  attempts = 0;
  /** One entry per attempt to make a context: true when it succeeded. */
  readonly attemptLog = new EventLog<boolean>();
  /** Called with each new context (before the driver attaches): add readers there with setup(). */
  setup: (ctx: FakeNativeContext) => void = () => {};

  readonly factory: PcscFactory = () => {
    this.attempts++;
    this.attemptLog.push(this.up);
    if (!this.up) throw new Error('SCardEstablishContext error: Service not available.(0x8010001d)');
    const ctx = new FakeNativeContext();
    this.contexts.push(ctx);
    // pcsclite lists readers on the next tick, after the caller attached its listeners.
    process.nextTick(() => this.setup(ctx));
    return ctx;
  };

  get last(): FakeNativeContext {
    return this.contexts[this.contexts.length - 1]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one started is killed in afterEach/afterAll, even on failure.

export interface Child {
  proc: ChildProcess;
  lines: EventLog<string>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

export function startChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, MEDPOS_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const lines = new EventLog<string>();
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, i));
      out = out.slice(i + 1);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.once('close', (code, signal) => {
      children.delete(proc);
      if (out) lines.push(out);
      res({ code, signal });
    }),
  );
  return { proc, lines, stderr: () => err, exited };
}

/** Runs medpos to completion (killed after timeoutMs); stdout, stderr and the exit code. */
export async function runMedpos(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = startChild(process.execPath, [BIN, ...args], env);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), timeoutMs);
  const { code } = await c.exited;
  clearTimeout(timer);
  return { code, stdout: c.lines.items.join('\n'), stderr: c.stderr() };
}

/** SIGTERM every child still running, SIGKILL after 3 s; resolves when all are gone. */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (p) =>
        new Promise<void>((res) => {
          if (p.exitCode !== null || p.signalCode !== null) return res();
          const t = setTimeout(() => p.kill('SIGKILL'), 3000);
          p.once('close', () => {
            clearTimeout(t);
            res();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The real stack's gate.

export const HW_VARS = ['PCSCLITE_CSOCK_NAME', 'MEDPOS_HW_VPCD', 'MEDPOS_HW_PCSCD_CTL', 'MEDPOS_HW_DIR', 'MEDPOS_HW_NETNS'] as const;

export type HwGate = { ok: true; vpcd: string; ctl: string } | { ok: false; required: boolean; reason: string };

export function hwGate(env: NodeJS.ProcessEnv = process.env): HwGate {
  const missing = HW_VARS.filter((k) => !env[k]);
  if (missing.length === 0) return { ok: true, vpcd: env.MEDPOS_HW_VPCD!, ctl: env.MEDPOS_HW_PCSCD_CTL! };
  return {
    ok: false,
    required: env.MEDPOS_HW === 'required',
    reason: `no PC/SC harness (${missing.join(', ')} not set): run under scripts/hw/with-pcscd.sh`,
  };
}
