/**
 * The one error type of the card driver. Every failure of a read, a PIN check, the reader or a trace
 * file is a CardError with a stable `code` and the `step` it happened in, so callers can tell
 * "no card" from "blocked" from "the card answered garbage" without parsing messages.
 */

export type CardErrorCode =
  /** PC/SC is not there: the pcsclite module is missing, or pcscd is not running. */
  | 'no_service'
  /** No reader (or not the one asked for). */
  | 'no_reader'
  /** No card was presented in time. */
  | 'no_card'
  /** The card went away during the read (a 0-byte answer, or PC/SC says removed). */
  | 'card_removed'
  /** The card answered a status word the step does not accept. */
  | 'bad_status'
  /** A record is not the TLV it should be. */
  | 'malformed_tlv'
  /** A data item has the wrong length or content (ASCII, GBK, BCD, date). */
  | 'bad_field'
  /** VERIFY failed; `triesLeft` says how many tries remain. */
  | 'pin_wrong'
  /** The PIN is blocked (6983, or no tries left). */
  | 'pin_blocked'
  /** The PIN given is not 6 digits. */
  | 'pin_invalid'
  /** The answer breaks the transmission protocol (no status word, endless 61xx/6Cxx). */
  | 'protocol'
  /** The reader or PC/SC failed in a way not covered above. */
  | 'transport'
  /** A trace file is unreadable or invalid. */
  | 'trace'
  /** The driver was closed while the operation waited. */
  | 'closed';

export class CardError extends Error {
  override readonly name = 'CardError';
  readonly code: CardErrorCode;
  /** What the driver was doing, e.g. "READ RECORD EF06 #2 (name)". */
  readonly step: string;
  /** The status word that caused the error, when there is one. */
  readonly sw: number | undefined;
  /** For pin_wrong: the tries the card says are left. */
  readonly triesLeft: number | undefined;

  constructor(
    code: CardErrorCode,
    step: string,
    message: string,
    extra: { sw?: number; triesLeft?: number; cause?: unknown } = {},
  ) {
    super(`${step}: ${message}`, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.step = step;
    this.sw = extra.sw;
    this.triesLeft = extra.triesLeft;
  }
}

export function isCardError(err: unknown): err is CardError {
  return err instanceof CardError;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
