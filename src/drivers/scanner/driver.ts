/**
 * The host-side serial scanner driver.
 *
 * Opens the port with `serialport` (the binding is injectable: tests pass MockBinding or a faulty
 * wrapper), splits lines with the bounded LineSplitter, classifies them and emits:
 *   - 'scan'   { kind, text, at }       one per scanned line
 *   - 'status' { status, port, detail } 'listening' | 'disconnected' | 'reconnecting' | 'error' | 'warning' | 'closed'
 *
 * Unplug detection: the port closing or erroring, or a watchdog that polls the path (the link or device
 * node disappearing, or pointing at another device; with a non-system binding, the port leaving
 * `binding.list()`). After a loss the driver reopens by itself, with backoff, once the path is back.
 * Data that arrived while nobody had the port open is flushed on every open (stale scans).
 * `close()` releases the port, the splitter and every timer.
 */
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { SerialPort } from 'serialport';
import { log } from '../../log.ts';
import { classifyLine, type ScanKind } from './classify.ts';
import { LineSplitter, type SplitEvent } from './line-splitter.ts';
import { MAX_LINE_BYTES, ScannerSettingsSchema, type ScannerSettings, type ScannerSettingsInput } from './settings.ts';

/**
 * The part of a serialport binding (@serialport/bindings-interface BindingInterface) the driver relies on:
 * `open` is handed to serialport as is; `list` is used for presence checks. The system binding,
 * MockBinding and test wrappers all fit. (The interface package's own types do not resolve under NodeNext.)
 */
export interface BindingInterface {
  list(): Promise<Array<{ path: string; serialNumber?: string | undefined }>>;
  open(options: never): Promise<unknown>;
}

export interface ScanEvent {
  kind: ScanKind;
  text: string;
  /** Receive time in milliseconds since the epoch, from the driver's clock. */
  at: number;
}

export type ScannerStatus = 'listening' | 'disconnected' | 'reconnecting' | 'error' | 'warning' | 'closed';

export interface StatusEvent {
  status: ScannerStatus;
  port: string;
  detail?: string;
}

export interface ScannerEvents {
  scan: [ScanEvent];
  status: [StatusEvent];
}

/** Returns an identity for the device at `path` (changes when another device takes the path), or null if absent. */
export type PresenceCheck = (path: string) => Promise<string | null>;

export interface ScannerDriverOptions {
  /** The serialport binding; default: the system binding of `serialport`. */
  binding?: BindingInterface;
  /** Clock for scan timestamps, milliseconds since the epoch. */
  clock?: () => number;
  /** How the watchdog and the reconnect loop decide the device is there. */
  presence?: PresenceCheck;
  /** Watchdog period while listening, default 500 ms. */
  pollIntervalMs?: number;
  /** First reconnect delay, default 100 ms; doubles up to reconnectMaxMs (default 2000 ms). */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Line bound; the spec fixes 4096 bytes. */
  maxLineBytes?: number;
}

type DriverState = 'idle' | 'opening' | 'listening' | 'reconnecting' | 'closed';

/** Presence by the file system: the path (or the link's target) exists; identity = target and device number. */
export function fsPresence(): PresenceCheck {
  return async (path) => {
    try {
      const real = await fsp.realpath(path);
      const st = await fsp.stat(real);
      return `${real}#${st.rdev}`;
    } catch {
      return null;
    }
  };
}

/** Presence by the binding's port list (Odoo-style list polling). */
export function listPresence(binding: BindingInterface): PresenceCheck {
  return async (path) => {
    try {
      const ports = await binding.list();
      const found = ports.find((p) => p.path === path);
      return found ? `${found.path}#${found.serialNumber ?? ''}` : null;
    } catch {
      return null;
    }
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ScannerDriver extends EventEmitter<ScannerEvents> {
  readonly settings: ScannerSettings;
  private readonly binding: BindingInterface;
  private readonly clock: () => number;
  private readonly presence: PresenceCheck;
  private readonly pollIntervalMs: number;
  private readonly reconnectInitialMs: number;
  private readonly reconnectMaxMs: number;
  private readonly maxLineBytes: number;

  private _state: DriverState = 'idle';
  private generation = 0;
  private port: SerialPort | null = null;
  private splitter: LineSplitter | null = null;
  private identity: string | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private lastErrorDetail: string | null = null;
  private closing: Promise<void> | null = null;

  constructor(settings: ScannerSettingsInput, options: ScannerDriverOptions = {}) {
    super();
    this.settings = ScannerSettingsSchema.parse(settings);
    this.binding = options.binding ?? SerialPort.binding;
    this.clock = options.clock ?? Date.now;
    const systemBinding = this.binding === SerialPort.binding;
    this.presence =
      options.presence ?? (systemBinding && this.settings.path.startsWith('/') ? fsPresence() : listPresence(this.binding));
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.reconnectInitialMs = options.reconnectInitialMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 2000;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.retryDelay = this.reconnectInitialMs;
    for (const [name, v] of Object.entries({
      pollIntervalMs: this.pollIntervalMs,
      reconnectInitialMs: this.reconnectInitialMs,
      reconnectMaxMs: this.reconnectMaxMs,
    })) {
      if (!Number.isFinite(v) || v <= 0) throw new TypeError(`${name} must be a positive number`);
    }
  }

  get state(): DriverState {
    return this._state;
  }

  get path(): string {
    return this.settings.path;
  }

  /**
   * Opens the port. Resolves once the first attempt is over: either listening, or (when the port is
   * absent or fails) reconnecting in the background. Never rejects for a missing port.
   */
  async start(): Promise<void> {
    if (this._state !== 'idle') throw new Error(`scanner driver already ${this._state}`);
    this._state = 'opening';
    try {
      await this.openOnce();
    } catch (err) {
      if (this.isClosed()) return;
      this.reportError(errText(err));
      this._state = 'reconnecting';
      this.emitStatus('reconnecting', `waiting for ${this.path}`);
      this.scheduleRetry();
    }
  }

  /** Closes the port and every timer. Idempotent; resolves when all handles are released. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      this._state = 'closed';
      this.generation++;
      this.clearTimers();
      await this.releasePort();
      this.emitStatus('closed');
    })();
    return this.closing;
  }

  private isClosed(): boolean {
    return this._state === 'closed';
  }

  private async openOnce(): Promise<void> {
    const gen = ++this.generation;
    const s = this.settings;
    const port = new SerialPort({
      path: s.path,
      baudRate: s.baud,
      dataBits: s.dataBits,
      parity: s.parity,
      stopBits: s.stopBits,
      autoOpen: false,
      // SerialPort's own option type omits `binding`, but the constructor honours it.
      ...({ binding: this.binding } as object),
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    if (gen !== this.generation || this.isClosed()) {
      await closePortQuietly(port);
      throw new Error('closed while opening');
    }
    // Drop whatever the OS buffered while nobody was reading (a stale scan from before we listened).
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    const identity = await this.presence(s.path);
    if (gen !== this.generation || this.isClosed()) {
      await closePortQuietly(port);
      throw new Error('closed while opening');
    }

    const splitter = new LineSplitter(s.terminator, this.maxLineBytes);
    this.port = port;
    this.splitter = splitter;
    this.identity = identity;
    splitter.on('data', (ev: SplitEvent) => this.onSplit(gen, ev));
    splitter.on('error', (err) => this.lost(gen, `line splitter failed: ${errText(err)}`));
    port.on('close', (err?: Error & { disconnected?: boolean }) =>
      this.lost(gen, err?.disconnected ? 'the port was disconnected' : 'the port closed'),
    );
    port.on('error', (err) => this.lost(gen, `port error: ${errText(err)}`));
    port.pipe(splitter);

    this._state = 'listening';
    this.retryDelay = this.reconnectInitialMs;
    this.lastErrorDetail = null;
    this.emitStatus('listening');
    this.scheduleWatchdog(gen);
  }

  private onSplit(gen: number, ev: SplitEvent): void {
    if (gen !== this.generation || this.isClosed()) return;
    if (ev.type === 'overflow') {
      log.warn({ port: this.path, limit: ev.limit }, 'scanner line over the limit dropped');
      this.emitStatus('warning', `line longer than ${ev.limit} bytes dropped`);
      return;
    }
    const { kind, text } = classifyLine(ev.bytes, this.settings.prefix);
    const at = this.clock();
    // Never log the scanned text itself: a code or a trace may identify a person.
    log.debug({ port: this.path, kind, bytes: ev.bytes.length }, 'scan');
    this.emit('scan', { kind, text, at });
  }

  private scheduleWatchdog(gen: number): void {
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      void this.presence(this.path).then(
        (identity) => {
          if (gen !== this.generation || this._state !== 'listening') return;
          if (identity === null) this.lost(gen, `${this.path} is gone`);
          else if (this.identity !== null && identity !== this.identity) this.lost(gen, `${this.path} now names another device`);
          else this.scheduleWatchdog(gen);
        },
        (err: unknown) => {
          if (gen === this.generation && this._state === 'listening') this.lost(gen, `presence check failed: ${errText(err)}`);
        },
      );
    }, this.pollIntervalMs);
  }

  /** The port of generation `gen` is lost: report once, release it, and start reconnecting. */
  private lost(gen: number, reason: string): void {
    if (gen !== this.generation || this._state !== 'listening') return;
    this.generation++;
    this._state = 'reconnecting';
    this.clearTimers();
    log.warn({ port: this.path, reason }, 'scanner disconnected');
    this.emitStatus('disconnected', reason);
    void this.releasePort().then(() => {
      if (this.isClosed()) return;
      this.emitStatus('reconnecting', `waiting for ${this.path}`);
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.isClosed() || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.reconnectMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retry();
    }, delay);
  }

  private async retry(): Promise<void> {
    if (this.isClosed() || this._state !== 'reconnecting') return;
    const identity = await this.presence(this.path);
    if (this.isClosed()) return;
    if (identity === null) {
      this.scheduleRetry();
      return;
    }
    try {
      await this.openOnce();
    } catch (err) {
      if (this.isClosed()) return;
      this.reportError(errText(err));
      this.scheduleRetry();
    }
  }

  private reportError(detail: string): void {
    log.debug({ port: this.path, detail }, 'scanner open failed');
    if (detail === this.lastErrorDetail) return;
    this.lastErrorDetail = detail;
    this.emitStatus('error', detail);
  }

  private clearTimers(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watchdog = null;
    this.retryTimer = null;
  }

  private async releasePort(): Promise<void> {
    const port = this.port;
    const splitter = this.splitter;
    this.port = null;
    this.splitter = null;
    this.identity = null;
    if (port) {
      if (splitter) port.unpipe(splitter);
      port.removeAllListeners('data');
      await closePortQuietly(port);
      // A late error from a dead port must not become an uncaught 'error' event.
      port.removeAllListeners('close');
      port.removeAllListeners('error');
      port.on('error', () => {});
    }
    if (splitter) {
      splitter.assembler.reset();
      splitter.removeAllListeners('data');
      splitter.destroy();
    }
  }

  private emitStatus(status: ScannerStatus, detail?: string): void {
    const ev: StatusEvent = detail === undefined ? { status, port: this.path } : { status, port: this.path, detail };
    log.info(ev, 'scanner status');
    this.emit('status', ev);
  }
}

function closePortQuietly(port: SerialPort): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!port.isOpen) {
      resolve();
      return;
    }
    try {
      port.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
