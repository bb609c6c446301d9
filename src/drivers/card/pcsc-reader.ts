/**
 * The PC/SC reader, on the `pcsclite` binding (loaded lazily: without it the reader reports
 * 'no service', "PC/SC is unavailable", and the rest of medpos loads as usual).
 *
 * Monitoring (card.md, after tw-nhi-icc-service's monitor loop):
 * - pcscd absent at start: the context cannot be established; retried every `retryMs`.
 * - pcscd gone (the context or a reader thread reports an error): every native handle of that
 *   context is closed and a new context is made every `retryMs` until pcscd answers again; the
 *   binding never recovers by itself.
 * - readers come and go: the PnP thread of pcsclite reports them; the reader in use is the one named
 *   (exact name, else the first whose name contains the text), by default the first one.
 * - insertions and removals: from each reader's status thread. The upper 16 bits of the PC/SC event
 *   state count card events, so a card swapped between two polls still counts as remove + insert.
 * - close(): closes every reader and the context, so processes and test runners exit.
 *
 * pcsclite emits an "error" ("Command cancelled") on a context after close(): listeners stay attached
 * for good, and the generation number makes them ignore it.
 *
 * Never call a pcsclite reader's close() inside one of its own callbacks: the binding holds the
 * reader's mutex while it runs them. Closing is always deferred to a later turn of the event loop.
 */
import { log } from '../../log.ts';
import { asTransportError } from './apdu.ts';
import { CardError, errorText } from './errors.ts';
import { CardReader, type ReaderCommonOptions } from './reader-base.ts';
import type { CardSession } from './types.ts';

/** PC/SC constants (winscard / pcsclite.h; the same on every platform). */
export const SCARD = {
  STATE_UNKNOWN: 0x0004,
  STATE_UNAVAILABLE: 0x0008,
  STATE_EMPTY: 0x0010,
  STATE_PRESENT: 0x0020,
  STATE_MUTE: 0x0200,
  SHARE_SHARED: 2,
  PROTOCOL_T0: 1,
  PROTOCOL_T1: 2,
  LEAVE_CARD: 0,
} as const;

type Cb<T> = (err: unknown, value: T) => void;

/** The part of a pcsclite CardReader the driver uses (tests provide fakes). */
export interface NativeReader {
  readonly name: string;
  connected: boolean;
  on(event: 'status', fn: (status: { state: number; atr?: Buffer }) => void): unknown;
  on(event: 'error', fn: (err: unknown) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  connect(options: { share_mode?: number; protocol?: number }, cb: Cb<number>): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: Cb<Buffer>): void;
  disconnect(disposition: number, cb: (err: unknown) => void): void;
  close(): void;
}

/** The part of a pcsclite context (the value of `require('pcsclite')()`) the driver uses. */
export interface NativeContext {
  on(event: 'reader', fn: (reader: NativeReader) => void): unknown;
  on(event: 'error', fn: (err: unknown) => void): unknown;
  readers?: Record<string, NativeReader>;
  close(): void;
}

/** `require('pcsclite')`: makes a context; throws when pcscd is not reachable. */
export type PcscFactory = () => NativeContext;

/** Loads the binding. A variable specifier keeps bundlers and the type checker from requiring it. */
export async function loadPcsclite(): Promise<PcscFactory> {
  const specifier = 'pcsclite';
  const mod = (await import(specifier)) as { default?: unknown };
  const factory = (mod.default ?? mod) as unknown;
  if (typeof factory !== 'function') throw new Error('the pcsclite module does not export a function');
  return factory as PcscFactory;
}

export interface PcscReaderOptions extends ReaderCommonOptions {
  /** Which reader: its exact name, else the first whose name contains this text; default the first. */
  reader?: string | undefined;
  /** Period of context re-creation while pcscd is away; default 1000 ms. */
  retryMs?: number;
  /** Longest wait for one APDU's answer; default 5000 ms. */
  apduTimeoutMs?: number;
  /** How to load the binding (tests inject a fake); default the `pcsclite` module. */
  load?: () => Promise<PcscFactory>;
}

interface Entry {
  native: NativeReader;
  present: boolean;
  mute: boolean;
  atr: Buffer | null;
  /** Card event counter from the upper 16 bits of the state; -1 before the first status. */
  events: number;
}

function short(err: unknown): string {
  return errorText(err).replace(/\s+/g, ' ').slice(0, 200);
}

export class PcscReader extends CardReader {
  private readonly wanted: string | undefined;
  private readonly retryMs: number;
  private readonly apduTimeoutMs: number;
  private readonly load: () => Promise<PcscFactory>;
  private factory: PcscFactory | null = null;
  private ctx: NativeContext | null = null;
  /** Bumped whenever a context is dropped: events of older contexts are ignored. */
  private gen = 0;
  private entries = new Map<string, Entry>();
  private current: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;
  private teardowns = new Set<Promise<void>>();
  /** false once the binding failed to load: PC/SC will not appear in this process. */
  private available: boolean | null = null;

  constructor(opts: PcscReaderOptions = {}) {
    super('no service', 'starting PC/SC', opts);
    this.wanted = opts.reader;
    this.retryMs = opts.retryMs ?? 1000;
    this.apduTimeoutMs = opts.apduTimeoutMs ?? 5000;
    this.load = opts.load ?? loadPcsclite;
    if (!(this.retryMs > 0) || !(this.apduTimeoutMs > 0)) throw new RangeError('retryMs and apduTimeoutMs must be positive');
  }

  /** null until start() ran; false when the pcsclite binding cannot be loaded here. */
  get pcscAvailable(): boolean | null {
    return this.available;
  }

  /** Loads the binding and begins monitoring. Resolves after the first attempt; never rejects. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      try {
        this.factory = await this.load();
        this.available = true;
      } catch (err) {
        this.available = false;
        log.warn({ err: short(err) }, 'pcsclite could not be loaded');
        this.update({ status: 'no service', message: `PC/SC is unavailable: the pcsclite module could not be loaded (${short(err)})` });
        return;
      }
      if (!this.closed) this.establish();
    })();
    return this.starting;
  }

  private matches(name: string): boolean {
    return this.wanted === undefined || name === this.wanted || name.includes(this.wanted);
  }

  private noReaderMessage(): string {
    return this.wanted === undefined ? 'no card reader connected' : `no reader named "${this.wanted}"`;
  }

  private establish(): void {
    if (this.closed || !this.factory) return;
    const gen = ++this.gen;
    let ctx: NativeContext;
    try {
      ctx = this.factory();
    } catch (err) {
      log.debug({ err: short(err) }, 'PC/SC context not established');
      this.update({
        status: 'no service',
        reader: null,
        readers: [],
        atr: null,
        message: `PC/SC service not available (is pcscd running?): ${short(err)}`,
      });
      this.scheduleRetry();
      return;
    }
    this.ctx = ctx;
    ctx.on('error', (err) => this.serviceLost(gen, err));
    ctx.on('reader', (r) => this.onReader(gen, r));
    log.info('PC/SC context established');
    this.update({ status: 'no reader', reader: null, readers: [], atr: null, message: this.noReaderMessage() });
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.establish();
    }, this.retryMs);
  }

  private onReader(gen: number, r: NativeReader): void {
    if (gen !== this.gen || this.closed) {
      setImmediate(() => safeClose(r));
      return;
    }
    const entry: Entry = { native: r, present: false, mute: false, atr: null, events: -1 };
    this.entries.set(r.name, entry);
    r.on('error', (err) => {
      // A reader's status thread failing means the service is in trouble: start over.
      log.warn({ reader: r.name, err: short(err) }, 'reader error');
      this.serviceLost(gen, err);
    });
    r.on('end', () => this.onReaderEnd(gen, r.name, entry));
    r.on('status', (s) => this.onStatus(gen, r.name, entry, s));
    log.info({ reader: r.name }, 'reader attached');
    this.update({ readers: [...this.entries.keys()] });
    if (this.current === null && this.matches(r.name)) this.select(r.name);
  }

  private select(name: string): void {
    this.current = name;
    const e = this.entries.get(name)!;
    if (e.present && e.atr) this.cardInserted(e.atr, name);
    else this.update({ status: 'waiting for card', reader: name, atr: null, message: 'insert a card' });
  }

  private onStatus(gen: number, name: string, e: Entry, s: { state: number; atr?: Buffer }): void {
    if (gen !== this.gen || this.entries.get(name) !== e) return;
    const state = typeof s.state === 'number' ? s.state : 0;
    const inReader = (state & SCARD.STATE_PRESENT) !== 0;
    const mute = inReader && (state & SCARD.STATE_MUTE) !== 0;
    const present = inReader && !mute;
    const events = (state >>> 16) & 0xffff;
    const swapped = present && e.present && e.events >= 0 && events !== e.events;
    const atr = s.atr && s.atr.length > 0 ? Buffer.from(s.atr) : null;
    const wasPresent = e.present;
    e.present = present;
    e.mute = mute;
    e.events = events;
    if (present) e.atr = atr;
    if (name !== this.current) return;
    if (present && (!wasPresent || swapped)) {
      if (swapped) this.cardRemoved();
      this.cardInserted(atr ?? Buffer.alloc(0), name);
    } else if (!present && wasPresent) {
      this.cardRemoved();
    }
    if (mute) this.update({ status: 'error', message: 'the card in the reader does not answer (mute): take it out and insert it again' });
    else if (!present && this.snapshot.status === 'error') this.update({ status: 'waiting for card', message: 'insert a card' });
  }

  private onReaderEnd(gen: number, name: string, e: Entry): void {
    if (gen !== this.gen || this.entries.get(name) !== e) return;
    this.entries.delete(name);
    log.info({ reader: name }, 'reader detached');
    this.update({ readers: [...this.entries.keys()] });
    if (name !== this.current) return;
    this.current = null;
    if (this.cardPresent) this.cardRemoved('no reader', this.noReaderMessage());
    const next = [...this.entries.keys()].find((n) => this.matches(n));
    if (next) this.select(next);
    else this.update({ status: 'no reader', reader: null, atr: null, message: this.noReaderMessage() });
  }

  private serviceLost(gen: number, err: unknown): void {
    if (gen !== this.gen || this.closed) return;
    this.gen++;
    log.warn({ err: short(err) }, 'PC/SC service lost; re-establishing');
    this.dropContext();
    const message = `PC/SC service lost (${short(err)}); reconnecting`;
    if (this.cardPresent) this.cardRemoved('no service', message);
    this.update({ status: 'no service', reader: null, readers: [], atr: null, message });
    this.scheduleRetry();
  }

  /** Detaches the current context and closes its handles on a later turn. */
  private dropContext(): void {
    const ctx = this.ctx;
    const readers = [...this.entries.values()].map((e) => e.native);
    this.ctx = null;
    this.entries = new Map();
    this.current = null;
    if (!ctx && readers.length === 0) return;
    const p = teardown(ctx, readers);
    this.teardowns.add(p);
    void p.finally(() => this.teardowns.delete(p));
  }

  protected async openSession(): Promise<CardSession & { release(): Promise<void> }> {
    const name = this.current;
    const e = name === null ? undefined : this.entries.get(name);
    if (!e || !name || !e.present) throw new CardError('card_removed', 'connect', 'no card in the reader');
    const r = e.native;
    const cardSeq = this.snapshot.cardSeq;
    if (r.connected) await new Promise<void>((res) => r.disconnect(SCARD.LEAVE_CARD, () => res()));
    const protocol = await new Promise<number>((resolve, reject) => {
      try {
        r.connect({ share_mode: SCARD.SHARE_SHARED, protocol: SCARD.PROTOCOL_T0 | SCARD.PROTOCOL_T1 }, (err, p) =>
          err ? reject(asTransportError(err, 'connect')) : resolve(p),
        );
      } catch (err) {
        reject(asTransportError(err, 'connect'));
      }
    });
    const atr = Buffer.from(e.atr ?? Buffer.alloc(0));
    return {
      atr,
      cardSeq,
      readerName: name,
      transmit: (apdu) =>
        new Promise<Buffer>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new CardError('transport', 'transmit', `the card did not answer within ${this.apduTimeoutMs} ms`)),
            this.apduTimeoutMs,
          );
          try {
            r.transmit(apdu, 258, protocol, (err, data) => {
              clearTimeout(timer);
              if (err) reject(err);
              else resolve(Buffer.from(data));
            });
          } catch (err) {
            clearTimeout(timer);
            reject(err);
          }
        }),
      release: () =>
        new Promise<void>((resolve) => {
          try {
            r.disconnect(SCARD.LEAVE_CARD, () => resolve());
          } catch {
            resolve();
          }
        }),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.markClosed();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.starting;
    this.gen++;
    this.dropContext();
    await Promise.all([...this.teardowns]);
  }
}

function safeClose(r: NativeReader): void {
  try {
    r.close();
  } catch (err) {
    log.debug({ err: short(err) }, 'closing a reader failed');
  }
}

/**
 * Closes a context and its readers. Deferred one turn: pcsclite starts its monitor thread on the
 * next tick after the context is made (closing before would leave the thread running), and a reader
 * must not be closed from inside its own callbacks.
 */
async function teardown(ctx: NativeContext | null, readers: NativeReader[]): Promise<void> {
  await new Promise((r) => setImmediate(r));
  try {
    ctx?.close();
  } catch (err) {
    log.debug({ err: short(err) }, 'closing the PC/SC context failed');
  }
  const all = new Set(readers);
  for (const r of Object.values(ctx?.readers ?? {})) all.add(r);
  for (const r of all) {
    if (r.connected) {
      try {
        r.disconnect(SCARD.LEAVE_CARD, () => {});
      } catch {
        /* the handle is gone with the context */
      }
    }
    safeClose(r);
  }
}

/** A started PC/SC reader (status 'no service' when PC/SC is missing; it keeps retrying until closed). */
export async function createPcscReader(opts: PcscReaderOptions = {}): Promise<PcscReader> {
  const reader = new PcscReader(opts);
  await reader.start();
  return reader;
}
