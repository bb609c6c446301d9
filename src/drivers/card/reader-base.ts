/**
 * The status machine every reader shares, and the one-read-at-a-time session lock.
 *
 *   no service ──(service up)──> no reader ──(reader)──> waiting for card ──(insert)──> card ready
 *   card ready ──(read)──> reading ──> card ready | error ──(remove)──> waiting for card
 *
 * Snapshots are immutable and published ('status' event) only when something changed; card
 * insertions and removals are also published as 'card' events carrying a sequence number, so a
 * caller can tell the same card re-read from a new card with the same ATR.
 */
import { EventEmitter } from 'node:events';
import { CardError } from './errors.ts';
import type { CardEvent, CardSession, ReaderEvents, ReaderSnapshot, ReaderStatus } from './types.ts';

export interface ReaderCommonOptions {
  /** The terminal number reported in identities (PC/SC readers have none of their own). */
  terminalId?: string;
}

export const DEFAULT_TERMINAL_ID = '000000000000';

export abstract class CardReader extends EventEmitter<ReaderEvents> {
  readonly terminalId: string;
  private snap: ReaderSnapshot;
  private present = false;
  private lock: Promise<unknown> = Promise.resolve();
  protected closed = false;

  protected constructor(initial: ReaderStatus, message: string, opts: ReaderCommonOptions = {}) {
    super();
    this.terminalId = opts.terminalId ?? DEFAULT_TERMINAL_ID;
    this.snap = Object.freeze({ status: initial, reader: null, readers: [], atr: null, cardSeq: 0, message });
  }

  get snapshot(): ReaderSnapshot {
    return this.snap;
  }

  get cardPresent(): boolean {
    return this.present;
  }

  /** Opens a connection to the card present. Subclasses map their transport here. */
  protected abstract openSession(): Promise<CardSession & { release(): Promise<void> }>;

  /** Releases every handle; pending waits reject with CardError 'closed'. Idempotent. */
  abstract close(): Promise<void>;

  protected update(patch: Partial<ReaderSnapshot>): void {
    const next = { ...this.snap, ...patch };
    const same =
      next.status === this.snap.status &&
      next.reader === this.snap.reader &&
      next.atr === this.snap.atr &&
      next.cardSeq === this.snap.cardSeq &&
      next.message === this.snap.message &&
      next.readers.length === this.snap.readers.length &&
      next.readers.every((r, i) => r === this.snap.readers[i]);
    if (same) return;
    this.snap = Object.freeze({ ...next, readers: Object.freeze([...next.readers]) as string[] });
    this.emit('status', this.snap);
  }

  /** The transport saw a card arrive (or a different card: the caller checked). */
  protected cardInserted(atr: Buffer, readerName: string): void {
    this.present = true;
    const cardSeq = this.snap.cardSeq + 1;
    const hex = atr.toString('hex').toUpperCase();
    this.update({ status: 'card ready', atr: hex, cardSeq, reader: readerName, message: 'card inserted' });
    this.emitCard({ type: 'inserted', atr: hex, cardSeq });
  }

  /** The card left; `status` is what to show now (usually 'waiting for card'). */
  protected cardRemoved(status: ReaderStatus = 'waiting for card', message = 'insert a card'): void {
    const was = this.present;
    this.present = false;
    this.update({ status, atr: null, message });
    if (was) this.emitCard({ type: 'removed', cardSeq: this.snap.cardSeq });
  }

  private emitCard(ev: CardEvent): void {
    this.emit('card', ev);
  }

  /** Resolves with the first snapshot (the current one included) that satisfies `pred`. */
  waitFor(pred: (s: ReaderSnapshot) => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<ReaderSnapshot> {
    if (pred(this.snap)) return Promise.resolve(this.snap);
    if (this.closed) return Promise.reject(new CardError('closed', what, 'the reader was closed'));
    if (signal?.aborted) return Promise.reject(new CardError('closed', what, 'cancelled'));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('status', onStatus);
        this.off('closed', onClosed);
        signal?.removeEventListener('abort', onAbort);
      };
      const onStatus = (s: ReaderSnapshot): void => {
        if (pred(s)) {
          done();
          resolve(s);
        }
      };
      const onClosed = (): void => {
        done();
        reject(new CardError('closed', what, 'the reader was closed'));
      };
      const onAbort = (): void => {
        done();
        reject(new CardError('closed', what, 'cancelled'));
      };
      const timer = setTimeout(() => {
        done();
        reject(this.timeoutError(what, timeoutMs));
      }, Math.max(0, timeoutMs));
      this.on('status', onStatus);
      this.on('closed', onClosed);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private timeoutError(what: string, timeoutMs: number): CardError {
    const s = this.snap;
    const secs = `${Math.round(timeoutMs / 100) / 10} s`;
    switch (s.status) {
      case 'no service':
        return new CardError('no_service', what, `no card within ${secs}: ${s.message}`);
      case 'no reader':
        return new CardError('no_reader', what, `no card within ${secs}: ${s.message}`);
      default:
        return new CardError('no_card', what, `no card within ${secs} (reader ${s.reader ?? 'none'}: ${s.status})`);
    }
  }

  /** Waits until a card is in the reader. */
  async waitForCard(timeoutMs: number, signal?: AbortSignal): Promise<ReaderSnapshot> {
    return this.waitFor(() => this.present, timeoutMs, 'wait for card', signal);
  }

  /** Waits until the reader is empty (the card taken out). */
  async waitForRemoval(timeoutMs: number, signal?: AbortSignal): Promise<ReaderSnapshot> {
    return this.waitFor(() => !this.present, timeoutMs, 'wait for card removal', signal);
  }

  /**
   * Runs `fn` with a session on the card present, one at a time: status 'reading' while it runs,
   * then 'card ready' on success or 'error' (with the error's message) while the card stays in.
   */
  withSession<T>(fn: (session: CardSession) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new CardError('closed', 'read', 'the reader was closed');
      if (!this.present) throw new CardError('no_card', 'read', 'no card in the reader');
      const seq = this.snap.cardSeq;
      this.update({ status: 'reading', message: 'reading the card' });
      let session: (CardSession & { release(): Promise<void> }) | undefined;
      try {
        session = await this.openSession();
        const result = await fn(session);
        if (this.present && this.snap.cardSeq === seq) this.update({ status: 'card ready', message: 'card read' });
        return result;
      } catch (err) {
        if (this.present && this.snap.cardSeq === seq) {
          this.update({ status: 'error', message: err instanceof Error ? err.message : String(err) });
        }
        throw err;
      } finally {
        await session?.release().catch(() => {});
      }
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => {});
    return p;
  }

  /** For subclasses' close(): wake every waiter. */
  protected markClosed(): void {
    this.closed = true;
    this.emit('closed');
  }
}
