/**
 * A reader in this process serving a SimulatedCard: for unit tests, and for scenario replay where no
 * pcscd is running. Same status machine and events as the PC/SC reader; insert(), remove() and
 * pullAfter() play the cashier's hand.
 */
import { CardError } from './errors.ts';
import { CardReader, type ReaderCommonOptions } from './reader-base.ts';
import type { CardSession, SimulatedCard } from './types.ts';

export interface InProcessReaderOptions extends ReaderCommonOptions {
  /** The reader's name (the identity's device_id). */
  name?: string;
}

export class InProcessReader extends CardReader {
  readonly name: string;
  private card: SimulatedCard | null = null;
  private pullCountdown: number | null = null;

  constructor(card?: SimulatedCard | null, opts: InProcessReaderOptions = {}) {
    super('waiting for card', 'insert a card', opts);
    this.name = opts.name ?? 'medpos in-process reader';
    this.update({ reader: this.name, readers: [this.name] });
    if (card) this.insert(card);
  }

  /** Puts a card in (removing the one there, if any). */
  insert(card: SimulatedCard): void {
    if (this.closed) throw new CardError('closed', 'insert', 'the reader was closed');
    if (this.card) this.remove();
    this.card = card;
    card.reset();
    this.cardInserted(card.atr, this.name);
  }

  /** Takes the card out. */
  remove(): void {
    this.card = null;
    this.pullCountdown = null;
    this.cardRemoved();
  }

  /** The card will be pulled while the n-th next command is on its way (that command gets 0 bytes). */
  pullAfter(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('pullAfter needs a positive whole number');
    this.pullCountdown = n;
  }

  protected async openSession(): Promise<CardSession & { release(): Promise<void> }> {
    const card = this.card;
    if (!card) throw new CardError('card_removed', 'connect', 'no card in the reader');
    const cardSeq = this.snapshot.cardSeq;
    return {
      atr: Buffer.from(card.atr),
      cardSeq,
      readerName: this.name,
      transmit: async (apdu: Buffer): Promise<Buffer> => {
        await Promise.resolve();
        if (this.card !== card || this.snapshot.cardSeq !== cardSeq) return Buffer.alloc(0);
        if (this.pullCountdown !== null && --this.pullCountdown <= 0) {
          this.remove();
          return Buffer.alloc(0);
        }
        return card.process(Buffer.from(apdu));
      },
      release: async () => {},
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.card = null;
    this.markClosed();
  }
}

/** A reader holding `card` (or empty), for tests and replay without PC/SC. */
export function createInProcessReader(card?: SimulatedCard | null, opts: InProcessReaderOptions = {}): InProcessReader {
  return new InProcessReader(card, opts);
}
