/** Test helpers for the scanner: event recording with timeouts, an unpluggable MockBinding, a socat pty pair. */
import type { ChildProcess } from 'node:child_process';
import { SerialPortMock } from 'serialport';

/**
 * MockBinding from @serialport/binding-mock. Taken through `serialport`'s re-export because the package's
 * own typings do not resolve for an ESM import under NodeNext (its exports map has no types for `import`).
 * Use this one object everywhere in tests: the ESM and CJS builds of binding-mock keep separate registries.
 */
export const MockBinding = SerialPortMock.binding;
export type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;
import type { ScanEvent, ScannerDriver, StatusEvent } from '../../src/drivers/scanner/driver.ts';
import { PtyPair, Recorder, socatAvailable } from '../../drivers/scanner/pty-pair.ts';

export { PtyPair, Recorder, socatAvailable };

export function record(driver: ScannerDriver): { scans: Recorder<ScanEvent>; statuses: Recorder<StatusEvent> } {
  const scans = new Recorder<ScanEvent>();
  const statuses = new Recorder<StatusEvent>();
  driver.on('scan', (s) => scans.push(s));
  driver.on('status', (s) => statuses.push(s));
  return { scans, statuses };
}

export const countStatus = (items: StatusEvent[], status: StatusEvent['status']): number =>
  items.filter((s) => s.status === status).length;

type MockOpenOptions = Parameters<typeof MockBinding.open>[0];

/**
 * MockBinding plus unplug: `unplug(path)` takes the port out of `list()`, makes opening it fail, and (unless
 * `keepReading`) makes pending and later reads reject with a non-canceled error, which serialport treats as a
 * disconnection. `replug(path)` brings it back. `current(path)` is the last opened MockPortBinding, for emitData.
 */
export class UnpluggableMockBinding {
  private readonly unplugged = new Set<string>();
  private readonly deadReads = new Set<string>();
  private readonly opened = new Map<string, MockPortBinding>();
  private readonly failReads = new Map<string, Set<(err: Error) => void>>();

  async list(): Promise<Array<{ path: string; serialNumber?: string }>> {
    const ports = await MockBinding.list();
    return ports.filter((p) => !this.unplugged.has(p.path));
  }

  async open(options: MockOpenOptions): Promise<unknown> {
    if (this.unplugged.has(options.path)) throw new Error(`ENOENT: no such file or directory, open '${options.path}'`);
    const inner = await MockBinding.open(options);
    this.opened.set(options.path, inner);
    const path = options.path;
    const failers = this.failReads.get(path) ?? new Set<(err: Error) => void>();
    this.failReads.set(path, failers);
    // Delegate everything; reads can additionally be failed by unplug().
    return new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'read') {
          return (buffer: Buffer, offset: number, length: number) =>
            new Promise((resolve, reject) => {
              if (this.deadReads.has(path)) {
                process.nextTick(() => reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
                return;
              }
              const fail = (err: Error): void => {
                failers.delete(fail);
                reject(err);
              };
              failers.add(fail);
              target.read(buffer, offset, length).then(
                (r) => {
                  failers.delete(fail);
                  resolve(r);
                },
                (err: unknown) => {
                  failers.delete(fail);
                  reject(err);
                },
              );
            });
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  current(path: string): MockPortBinding {
    const p = this.opened.get(path);
    if (!p || !p.isOpen) throw new Error(`mock port ${path} is not open`);
    return p;
  }

  isOpen(path: string): boolean {
    return this.opened.get(path)?.isOpen ?? false;
  }

  unplug(path: string, opts: { keepReading?: boolean } = {}): void {
    this.unplugged.add(path);
    if (opts.keepReading) return;
    this.deadReads.add(path);
    for (const fail of [...(this.failReads.get(path) ?? [])]) {
      fail(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
    }
  }

  replug(path: string): void {
    this.unplugged.delete(path);
    this.deadReads.delete(path);
  }
}

/** Collects standard output of a child as lines. */
export function lineRecorder(child: ChildProcess): Recorder<string> {
  const rec = new Recorder<string>();
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      rec.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return rec;
}

/** Resolves with the exit code (or signal) of a child, rejecting after `timeoutMs`. */
export function waitExit(child: ChildProcess, timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Kills a child by pid if it still runs (afterEach cleanup). */
export function killChild(child: ChildProcess | null | undefined): void {
  if (!child || child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
