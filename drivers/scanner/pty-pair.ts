/**
 * A socat pseudo-terminal pair: the wire between a virtual scanner (the `scanner` end) and the
 * scanner driver (the `host` end), for tests and for `medpos replay`. Plus `Recorder`, a list that
 * can be waited on with a timeout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Waits until `predicate(list)` holds, re-checking on every `push`; rejects after `timeoutMs` with what was seen. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  }

  waitFor(predicate: (items: T[]) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (predicate(this.items)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.items)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = JSON.stringify(this.items.slice(-10)).slice(0, 2000);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the n-th (1-based) item matching `match`. */
  waitForCount(match: (item: T) => boolean, n: number, what: string, timeoutMs = 5000): Promise<void> {
    return this.waitFor((items) => items.filter(match).length >= n, `${n}× ${what}`, timeoutMs);
  }
}


export function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.status === 0;
}

/** A socat pty pair: `scanner` is the device end, `host` the end the driver opens. */
export class PtyPair {
  readonly dir: string;
  readonly scanner: string;
  readonly host: string;
  proc: ChildProcess | null = null;
  log = '';
  /** Bytes socat has relayed from the scanner end to the host end (counted only when `verbose`). */
  readonly relayed = new Recorder<number>();

  /** `verbose` runs socat with -v, so tests can tell when bytes have been relayed to the host end. */
  constructor(readonly opts: { verbose?: boolean } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'medpos-pty-'));
    this.scanner = join(this.dir, 'scanner');
    this.host = join(this.dir, 'host');
  }

  /** Starts socat and resolves when it reports its data transfer loop (both links exist by then). */
  start(timeoutMs = 5000): Promise<void> {
    if (this.proc) throw new Error('socat already running');
    // The form that worked in hardware.md §5.4/§8: raw, echo off, a symlink per end.
    const proc = spawn('socat', ['-d', '-d', ...(this.opts.verbose ? ['-v'] : []), `pty,raw,echo=0,link=${this.scanner}`, `pty,raw,echo=0,link=${this.host}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    let started = false;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`socat did not start within ${timeoutMs} ms: ${this.log}`));
      }, timeoutMs);
      proc.stderr!.on('data', (d: Buffer) => {
        const text = d.toString('latin1');
        this.log += text;
        if (this.opts.verbose) {
          // "> 2026/01/01 00:00:00.000  length=6 from=0 to=5": a transfer from the first (scanner) end.
          for (const m of text.matchAll(/^> \S+ \S+\s+length=(\d+)/gm)) this.relayed.push(Number(m[1]));
        }
        if (this.log.includes('starting data transfer loop') && !started) {
          started = true;
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      proc.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`socat exited early (${code ?? sig}): ${this.log}`));
      });
    });
  }

  /** Stops socat by pid and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (proc.pid) process.kill(proc.pid, 'SIGKILL');
      }, timeoutMs);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (proc.pid) process.kill(proc.pid, signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

