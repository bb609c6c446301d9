/**
 * readIdentity: wait for a card, read it in one session, return the identity of card.md.
 */
import { readCardFacts, type CardFacts } from './application.ts';
import { CardError } from './errors.ts';
import type { CardReader } from './reader-base.ts';
import type { TraceRecorder } from './trace.ts';
import { IDENTITY_FIELDS, type CardIdentity } from './types.ts';

export interface ReadIdentityOptions {
  /** Verify this PIN (6 digits) before reading. */
  pin?: string | undefined;
  /** How long to wait for a card when none is in the reader; default 10 000 ms. */
  timeoutMs?: number | undefined;
  /**
   * Only a card inserted as number `minCardSeq` or later will do (see ReaderSnapshot.cardSeq): pass
   * the last customer's cardSeq + 1 and their card must come out before the next one is read.
   */
  minCardSeq?: number | undefined;
  /** Records every exchange of the read. */
  trace?: TraceRecorder | undefined;
  signal?: AbortSignal | undefined;
}

export function toIdentity(facts: CardFacts, atr: Buffer, terminalId: string, deviceId: string): CardIdentity {
  const all: CardIdentity = { ...facts, atr: atr.toString('hex').toUpperCase(), terminal_id: terminalId, device_id: deviceId };
  const ordered = {} as Record<string, string>;
  for (const k of IDENTITY_FIELDS) ordered[k] = all[k];
  return ordered as unknown as CardIdentity;
}

/** readIdentity, also telling which insertion (cardSeq) the identity was read from. */
export async function readCardIdentity(reader: CardReader, opts: ReadIdentityOptions = {}): Promise<{ identity: CardIdentity; cardSeq: number }> {
  const min = opts.minCardSeq ?? 0;
  try {
    await reader.waitFor((s) => reader.cardPresent && s.cardSeq >= min, opts.timeoutMs ?? 10_000, 'wait for card', opts.signal);
  } catch (err) {
    if (err instanceof CardError && err.code === 'no_card' && reader.cardPresent) {
      throw new CardError('no_card', 'wait for card', `card #${reader.snapshot.cardSeq} is still in the reader: take it out and insert the next card`);
    }
    throw err;
  }
  return reader.withSession(async (session) => {
    if (session.cardSeq < min) throw new CardError('no_card', 'read', 'the previous card is still in the reader');
    let transmit = (apdu: Buffer) => session.transmit(apdu);
    if (opts.trace) {
      opts.trace.begin(session.atr, session.readerName);
      transmit = opts.trace.wrap(transmit);
    }
    const facts = await readCardFacts(transmit, { pin: opts.pin });
    return { identity: toIdentity(facts, session.atr, reader.terminalId, session.readerName), cardSeq: session.cardSeq };
  });
}

/**
 * Reads the identity of the card in `reader` (waiting up to timeoutMs for one). Complete or a
 * CardError: no_service / no_reader / no_card on timeout, pin_wrong / pin_blocked, card_removed,
 * bad_status, malformed_tlv, bad_field, protocol, transport.
 */
export async function readIdentity(reader: CardReader, opts: ReadIdentityOptions = {}): Promise<CardIdentity> {
  return (await readCardIdentity(reader, opts)).identity;
}
