/**
 * The card driver's own interface: nothing outside src/drivers/card sees PC/SC. A reader is either
 * the PC/SC one (pcsc-reader.ts) or an in-process one serving a simulated card (inprocess-reader.ts);
 * both share the status machine of reader-base.ts.
 */
import type { CardFacts } from './application.ts';

/** What the cashier sees (card.md "Reader monitoring"). */
export type ReaderStatus = 'no service' | 'no reader' | 'waiting for card' | 'reading' | 'card ready' | 'error';

export const READER_STATUSES: readonly ReaderStatus[] = ['no service', 'no reader', 'waiting for card', 'reading', 'card ready', 'error'];

/** An immutable snapshot, published only when something changed. */
export interface ReaderSnapshot {
  status: ReaderStatus;
  /** The reader in use, or null. */
  reader: string | null;
  /** Every reader the service lists. */
  readers: string[];
  /** The ATR of the card present (hex), or null. */
  atr: string | null;
  /** Counts card insertions since the driver started; the same card re-read keeps its number. */
  cardSeq: number;
  /** A sentence for the cashier: why there is no service, what went wrong, ... */
  message: string;
}

/** The identity of card.md: the eleven ReadCardBas facts plus sex, nation and birth date. */
export interface CardIdentity extends CardFacts {
  /** The card's ATR (reset information), hex. */
  atr: string;
  /** The terminal number the reader reports (configured; PC/SC readers have none of their own). */
  terminal_id: string;
  /** The reader device: its PC/SC name. */
  device_id: string;
}

/** The order of the fields in the vendor `ReadCardBas` string, then sex, nation, birth date. */
export const IDENTITY_FIELDS = [
  'admdvs',
  'certno',
  'card_no',
  'card_sn',
  'psn_name',
  'atr',
  'spec_ver',
  'issue_date',
  'expiry_date',
  'terminal_id',
  'device_id',
  'gend',
  'naty',
  'brdy',
] as const satisfies readonly (keyof CardIdentity)[];

export type CardEvent = { type: 'inserted'; atr: string; cardSeq: number } | { type: 'removed'; cardSeq: number };

/** A connection to the card present, held for one read. */
export interface CardSession {
  readonly atr: Buffer;
  readonly cardSeq: number;
  readonly readerName: string;
  transmit(apdu: Buffer): Promise<Buffer>;
}

export interface ReaderEvents {
  status: [ReaderSnapshot];
  card: [CardEvent];
  /** The reader was closed: every wait ends. */
  closed: [];
}

/**
 * A card simulated in this process (the virtual card of drivers/vcard, a replayed trace, a test
 * double). `process` answers one command APDU with data + SW1 SW2 and never throws.
 */
export interface SimulatedCard {
  readonly atr: Buffer;
  process(apdu: Buffer): Buffer;
  /** Power off / on / reset: volatile state (selection, PIN verified) is lost. */
  reset(): void;
}
