/**
 * The devices the terminal owns: the card reader(s), the scanner, and the loaded world's virtual
 * devices for testers.
 *
 * Card readers: the PC/SC reader always (it says "no service" when there is no pcscd, and finds
 * pcscd and readers when they come). A fixture card goes through vpcd into that PC/SC stack when
 * MEDPOS_HW_VPCD names a vpcd (the harness scripts/hw/with-pcscd.sh sets it), else into an
 * in-process reader ("virtual reader"). A checkout reads from whichever reader gets a card it may
 * use: each reader has its own minimum card sequence number, so the previous customer's card never
 * identifies the next one.
 *
 * Scanner: the serial scanner driver on --scanner PATH ("pty": a socat pty pair made here, so the
 * tester's virtual scanner types through a real pseudo-terminal). A fixture e-certificate or a typed
 * barcode goes through the virtual scanner into the pty when there is a feed end (--scanner-feed, or
 * the pair made here), else straight into the scan pipeline. Every scan passes the StaleScanGuard.
 */
import { EventEmitter } from 'node:events';
import { parseVpcdAddress, VpcdLink, WorldCardDeck, type VirtualSsCard } from '../../drivers/vcard/index.ts';
import { PtyPair, socatAvailable } from '../../drivers/scanner/pty-pair.ts';
import { VirtualScanner } from '../../drivers/scanner/virtual-scanner.ts';
import {
  CardError,
  createInProcessReader,
  createPcscReader,
  readCardIdentity,
  type CardEvent,
  type CardIdentity,
  type CardReader,
  type InProcessReader,
  type ReaderSnapshot,
} from '../drivers/card/index.ts';
import { classifyText, ScannerDriver, StaleScanGuard, type DropReason, type ScanEvent, type StatusEvent, type TimedScan } from '../drivers/scanner/index.ts';
import type { World } from '../core/world.ts';
import { maskCardNo } from '../core/mask.ts';
import { log } from '../log.ts';

export type ReaderId = 'pcsc' | 'virtual';

export interface DeviceOptions {
  /** PC/SC reader name (exact, or contained); default the first. */
  reader?: string | undefined;
  /** Serial scanner path, or "pty" for a socat pair made here. */
  scanner?: string | undefined;
  /** The device end of the scanner's pty, where the virtual scanner types. */
  scannerFeed?: string | undefined;
  terminalId: string;
  /** vpcd address for fixture cards (default: MEDPOS_HW_VPCD). */
  vpcd?: string | undefined;
}

export interface ReaderView {
  id: ReaderId;
  label: string;
  status: ReaderSnapshot['status'];
  message: string;
  name: string | null;
  cardPresent: boolean;
  cardSeq: number;
}

export interface DeviceView {
  readers: ReaderView[];
  scanner: { configured: boolean; path: string | null; status: string; detail: string | null; feed: 'pty' | 'direct' };
  virtual: { cardWire: 'vpcd' | 'inprocess'; inserted: string | null };
}

export interface DeviceEvents {
  status: [DeviceView];
  card: [{ reader: ReaderId } & CardEvent];
  scan: [TimedScan];
  drop: [{ scan: TimedScan; reason: DropReason }];
}

export interface CardRead {
  identity: CardIdentity;
  reader: ReaderId;
  cardSeq: number;
}

const READ_TIMEOUT_MS = 5000;

export class Devices extends EventEmitter<DeviceEvents> {
  readonly guard: StaleScanGuard;
  private readonly readers = new Map<ReaderId, CardReader>();
  private link: VpcdLink | undefined;
  private readonly deck: WorldCardDeck;
  private insertedCard: string | null = null;
  private scanner: ScannerDriver | undefined;
  private scannerState: { status: string; detail: string | null } = { status: 'not configured', detail: null };
  private pty: PtyPair | undefined;
  private feedPath: string | undefined;
  private feed: VirtualScanner | undefined;
  private closed = false;
  private readsUnderWay = 0;

  private constructor(
    private readonly opts: DeviceOptions,
    world: World,
  ) {
    super();
    this.deck = new WorldCardDeck(world);
    this.guard = new StaleScanGuard({ onDrop: (scan, reason) => this.emit('drop', { scan, reason }) });
  }

  static async open(opts: DeviceOptions, world: World): Promise<Devices> {
    const d = new Devices(opts, world);
    try {
      await d.start();
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }

  private get vpcd(): string | undefined {
    return this.opts.vpcd ?? process.env.MEDPOS_HW_VPCD;
  }

  private async start(): Promise<void> {
    const pcsc = await createPcscReader({ reader: this.opts.reader, terminalId: this.opts.terminalId });
    this.addReader('pcsc', pcsc);
    if (!this.vpcd) this.addReader('virtual', createInProcessReader(null, { name: 'medpos virtual reader', terminalId: this.opts.terminalId }));
    let path = this.opts.scanner;
    this.feedPath = this.opts.scannerFeed;
    if (path === 'pty') {
      if (!socatAvailable()) throw new Error('--scanner pty needs socat (apt-get install socat)');
      this.pty = new PtyPair();
      await this.pty.start();
      path = this.pty.host;
      this.feedPath = this.pty.scanner;
    }
    if (path) {
      this.scannerState = { status: 'opening', detail: path };
      const driver = new ScannerDriver({ path });
      this.scanner = driver;
      driver.on('status', (s: StatusEvent) => {
        if (s.status === 'warning') {
          log.warn({ port: s.port, detail: s.detail }, 'scanner warning');
          return;
        }
        this.scannerState = { status: s.status, detail: s.detail ?? null };
        this.publish();
      });
      driver.on('scan', (s: ScanEvent) => this.offer(s));
      await driver.start();
    }
  }

  private addReader(id: ReaderId, reader: CardReader): void {
    this.readers.set(id, reader);
    reader.on('status', () => this.publish());
    reader.on('card', (ev) => this.emit('card', { reader: id, ...ev }));
  }

  private publish(): void {
    if (!this.closed) this.emit('status', this.view());
  }

  view(): DeviceView {
    const labels: Record<ReaderId, string> = { pcsc: 'PC/SC 读卡器', virtual: '模拟读卡器 (in-process)' };
    return {
      readers: [...this.readers].map(([id, r]) => ({
        id,
        label: labels[id],
        status: r.snapshot.status,
        message: r.snapshot.message,
        name: r.snapshot.reader,
        cardPresent: r.cardPresent,
        cardSeq: r.snapshot.cardSeq,
      })),
      scanner: {
        configured: this.scanner !== undefined,
        path: this.scanner?.path ?? null,
        status: this.scannerState.status,
        detail: this.scannerState.detail,
        feed: this.feedPath ? 'pty' : 'direct',
      },
      virtual: { cardWire: this.vpcd ? 'vpcd' : 'inprocess', inserted: this.insertedCard ? maskCardNo(this.insertedCard) : null },
    };
  }

  /** The card sequence numbers now, per reader (a checkout's starting point). */
  cardSeqs(): Map<ReaderId, { seq: number; present: boolean }> {
    return new Map([...this.readers].map(([id, r]) => [id, { seq: r.snapshot.cardSeq, present: r.cardPresent }]));
  }

  // --- the scan pipeline ------------------------------------------------------------------

  private offer(s: ScanEvent): void {
    const scan: TimedScan = { kind: s.kind, text: s.text, at: s.at };
    if (this.guard.offer(scan)) this.emit('scan', scan);
  }

  /** A virtual scan: typed through the pty when there is a feed end, else offered directly. */
  async typeScan(text: string): Promise<'pty' | 'direct'> {
    if (this.feedPath) {
      if (!this.feed) this.feed = await VirtualScanner.open({ path: this.feedPath, terminator: 'CR' });
      await this.feed.type(text);
      return 'pty';
    }
    this.keyboardScan(text);
    return 'direct';
  }

  /** A code a keyboard-wedge scanner typed into the page: the same pipeline and guard as a serial line. */
  keyboardScan(text: string): void {
    this.offer({ kind: classifyText(text), text, at: Date.now() });
  }

  // --- cards ------------------------------------------------------------------------------

  private virtualCard(cardNo: string): VirtualSsCard {
    return this.deck.card(cardNo);
  }

  private virtualTarget(): CardReader {
    return this.readers.get(this.vpcd ? 'pcsc' : 'virtual')!;
  }

  /** Puts a fixture card into the reader (through vpcd and pcscd, or the in-process reader). */
  async insertVirtual(cardNo: string): Promise<void> {
    const card = this.virtualCard(cardNo); // throws for an unknown card before anything moves
    await this.removeVirtual();
    const target = this.virtualTarget();
    const before = target.snapshot.cardSeq;
    if (this.vpcd) {
      this.link = new VpcdLink(card, parseVpcdAddress(this.vpcd));
      await this.link.insert();
    } else {
      (target as InProcessReader).insert(card);
    }
    this.insertedCard = cardNo;
    await target.waitFor((s) => target.cardPresent && s.cardSeq > before, READ_TIMEOUT_MS, 'the fixture card to be seen by the reader');
    this.publish();
  }

  async removeVirtual(): Promise<void> {
    if (this.insertedCard === null && !this.link) return;
    const target = this.virtualTarget();
    if (this.link) {
      const link = this.link;
      this.link = undefined;
      await link.remove();
    } else {
      (target as InProcessReader).remove();
    }
    this.insertedCard = null;
    await target.waitForRemoval(READ_TIMEOUT_MS).catch(() => {});
    this.publish();
  }

  /**
   * Reads a card for a checkout: the first reader holding (or given within timeoutMs) a card
   * inserted at or after that reader's minimum sequence number.
   */
  async readCard(min: Map<ReaderId, number>, opts: { pin?: string | undefined; timeoutMs: number; signal?: AbortSignal }): Promise<CardRead> {
    this.readsUnderWay++;
    try {
      return await this.readCardNow(min, opts);
    } finally {
      this.readsUnderWay--;
    }
  }

  /** Reads under way (a checkout's, or the local card service's). */
  get reading(): number {
    return this.readsUnderWay;
  }

  /** The first reader holding a card now, with that card's sequence number. */
  presentCard(): { reader: ReaderId; seq: number } | undefined {
    for (const [id, r] of this.readers) if (r.cardPresent) return { reader: id, seq: r.snapshot.cardSeq };
    return undefined;
  }

  private async readCardNow(min: Map<ReaderId, number>, opts: { pin?: string | undefined; timeoutMs: number; signal?: AbortSignal }): Promise<CardRead> {
    const fresh = (): ReaderId | undefined => [...this.readers].find(([id, r]) => r.cardPresent && r.snapshot.cardSeq >= (min.get(id) ?? 0))?.[0];
    let id = fresh();
    if (!id) {
      id = await new Promise<ReaderId>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          this.off('card', onCard);
          opts.signal?.removeEventListener('abort', onAbort);
        };
        const onCard = (ev: { reader: ReaderId } & CardEvent) => {
          if (ev.type === 'inserted' && ev.cardSeq >= (min.get(ev.reader) ?? 0)) {
            done();
            resolve(ev.reader);
          }
        };
        const onAbort = () => {
          done();
          reject(new CardError('closed', 'wait for card', 'the checkout ended'));
        };
        const timer = setTimeout(() => {
          done();
          const stale = [...this.readers].some(([, r]) => r.cardPresent);
          const noReader = [...this.readers].every(([, r]) => r.snapshot.status === 'no service' || r.snapshot.status === 'no reader');
          reject(
            stale
              ? new CardError('no_card', 'wait for card', '上一位顾客的卡仍在读卡器中：请取出后插入本次的卡 (the previous card is still in the reader: take it out and insert the next card)')
              : noReader
                ? new CardError('no_reader', 'wait for card', '没有可用的读卡器 (no card reader available)')
                : new CardError('no_card', 'wait for card', `${Math.round(opts.timeoutMs / 1000)} 秒内未插卡 (no card inserted)`),
          );
        }, opts.timeoutMs);
        this.on('card', onCard);
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    const reader = this.readers.get(id)!;
    const { identity, cardSeq } = await readCardIdentity(reader, { pin: opts.pin, timeoutMs: READ_TIMEOUT_MS, minCardSeq: min.get(id) ?? 0, signal: opts.signal });
    return { identity, reader: id, cardSeq };
  }

  cardPresent(id: ReaderId, seq: number): boolean {
    const r = this.readers.get(id);
    return r !== undefined && r.cardPresent && r.snapshot.cardSeq === seq;
  }

  /** Releases every device, the pty pair (socat) included. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.removeVirtual().catch(() => {});
    await this.feed?.close().catch(() => {});
    await this.scanner?.close().catch(() => {});
    for (const r of this.readers.values()) await r.close().catch(() => {});
    await this.pty?.dispose().catch(() => {});
  }
}
