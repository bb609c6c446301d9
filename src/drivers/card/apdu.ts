/**
 * APDU exchange for a T=0 card behind a reader that passes APDUs through unchanged (pcscd, vpcd):
 * the driver itself answers `61xx` with GET RESPONSE and `6Cxx` by repeating the command with Le=xx
 * (card.md, hardware.md section 7.4). A 0-byte answer means the card was pulled.
 */
import { CardError } from './errors.ts';
import { hex2, hex4, toHex } from './codec.ts';

/** Sends one command APDU, resolves with the raw response (data + SW1 SW2). */
export type Transmit = (apdu: Buffer) => Promise<Buffer>;

export interface Response {
  data: Buffer;
  sw: number;
}

/** The DF name of the social-security application: "sx1.sh." + GBK "社会保障". */
export const SSSE_AID = Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex');

/** At most this many 61xx/6Cxx follow-ups per command: a card that keeps asking is broken. */
export const MAX_FOLLOW_UPS = 8;

const SW_TEXT: Record<number, string> = {
  0x6281: 'part of the data may be corrupted',
  0x6700: 'wrong length',
  0x6881: 'logical channel not supported',
  0x6981: 'command incompatible with the file structure',
  0x6982: 'security status not satisfied',
  0x6983: 'authentication method blocked',
  0x6984: 'reference data not usable',
  0x6985: 'conditions of use not satisfied',
  0x6986: 'command not allowed (no current EF)',
  0x6a80: 'incorrect data',
  0x6a81: 'function not supported',
  0x6a82: 'file or application not found',
  0x6a83: 'record not found',
  0x6a86: 'incorrect P1-P2',
  0x6a88: 'referenced data not found',
  0x6d00: 'instruction not supported',
  0x6e00: 'class not supported',
  0x6f00: 'no precise diagnosis',
};

export function describeSw(sw: number): string {
  const text = SW_TEXT[sw];
  if (text) return `${hex4(sw)} (${text})`;
  if ((sw & 0xfff0) === 0x63c0) return `${hex4(sw)} (verification failed, ${sw & 0x0f} tries left)`;
  if (sw >> 8 === 0x6c) return `${hex4(sw)} (wrong Le, ${sw & 0xff} expected)`;
  if (sw >> 8 === 0x61) return `${hex4(sw)} (${sw & 0xff || 256} bytes waiting)`;
  return hex4(sw);
}

/** Builds a short command APDU (case 1 to 4). Le 256 is sent as 00. */
export function command(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number): Buffer {
  const parts: number[] = [cla, ins, p1, p2];
  if (data && data.length > 0) {
    if (data.length > 255) throw new RangeError('command data longer than 255 bytes');
    parts.push(data.length, ...data);
  }
  if (le !== undefined) {
    if (le < 1 || le > 256) throw new RangeError(`Le ${le} out of range`);
    parts.push(le & 0xff);
  }
  return Buffer.from(parts);
}

/** The same command with Le replaced (case 2/4) or added (case 1/3), as 6Cxx asks. */
export function withLe(apdu: Buffer, le: number): Buffer {
  const lc = apdu.length > 5 ? apdu[4]! : 0;
  const hasData = apdu.length > 5;
  const hasLe = hasData ? apdu.length === 6 + lc : apdu.length === 5;
  const body = hasLe ? apdu.subarray(0, apdu.length - 1) : apdu;
  return Buffer.concat([body, Buffer.from([le & 0xff])]);
}

export const selectByName = (name: Uint8Array): Buffer => command(0x00, 0xa4, 0x04, 0x00, name);
export const selectEf = (fid: number): Buffer => command(0x00, 0xa4, 0x02, 0x00, Buffer.from([fid >> 8, fid & 0xff]));
export const getResponse = (le: number): Buffer => command(0x00, 0xc0, 0x00, 0x00, undefined, le === 0 ? 256 : le);
/** READ RECORD by record identifier (the tag) in the current EF: P2 = 00. */
export const readRecordByTag = (tag: number, le: number): Buffer => command(0x00, 0xb2, tag, 0x00, undefined, le);
/** READ RECORD number `rec` in the EF with short file identifier `sfi`: P2 = SFI<<3 | 4, no SELECT needed. */
export const readRecordBySfi = (sfi: number, rec: number, le: number): Buffer =>
  command(0x00, 0xb2, rec, ((sfi & 0x1f) << 3) | 0x04, undefined, le);

/** VERIFY with the 6 PIN digits packed as 3 BCD bytes. */
export function verifyPinCommand(pin: string): Buffer {
  if (!/^\d{6}$/.test(pin)) throw new CardError('pin_invalid', 'VERIFY', 'the PIN must be 6 digits');
  return command(0x00, 0x20, 0x00, 0x00, Buffer.from(pin, 'hex'));
}

/**
 * Sends `apdu` and follows 61xx (GET RESPONSE, data accumulated) and 6Cxx (repeat with Le=xx)
 * until a final status word. Throws CardError card_removed for a 0-byte answer and protocol for a
 * 1-byte answer or an endless chain; transport errors from `transmit` are passed through as
 * CardError (card_removed when PC/SC says so).
 */
export async function exchange(transmit: Transmit, apdu: Buffer, step: string): Promise<Response> {
  let cmd = apdu;
  let data = Buffer.alloc(0);
  for (let round = 0; round <= MAX_FOLLOW_UPS; round++) {
    let raw: Buffer;
    try {
      raw = await transmit(cmd);
    } catch (err) {
      throw asTransportError(err, step);
    }
    if (raw.length === 0) throw new CardError('card_removed', step, 'the card was removed (0-byte answer)');
    if (raw.length < 2) throw new CardError('protocol', step, `answer has no status word (${toHex(raw)})`);
    const sw1 = raw[raw.length - 2]!;
    const sw2 = raw[raw.length - 1]!;
    const body = raw.subarray(0, raw.length - 2);
    if (sw1 === 0x61) {
      data = Buffer.concat([data, body]);
      cmd = getResponse(sw2);
      continue;
    }
    if (sw1 === 0x6c) {
      if (body.length > 0) throw new CardError('protocol', step, `6C${hex2(sw2)} came with data`);
      cmd = withLe(cmd, sw2);
      continue;
    }
    return { data: Buffer.concat([data, body]), sw: (sw1 << 8) | sw2 };
  }
  throw new CardError('protocol', step, `the card kept answering 61xx/6Cxx (more than ${MAX_FOLLOW_UPS} follow-ups)`);
}

/** PC/SC error texts that mean the card is gone, from pcsclite's "SCardX error: text.(0x8010....)". */
const REMOVED = /0x80100069|0x8010000C|card was removed|no smart card/i;

export function asTransportError(err: unknown, step: string): CardError {
  if (err instanceof CardError) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (REMOVED.test(text)) return new CardError('card_removed', step, `the card was removed (${text})`, { cause: err });
  return new CardError('transport', step, `reader error: ${text}`, { cause: err });
}

/** Throws bad_status unless the status word is 9000. */
export function expectOk(r: Response, step: string): Buffer {
  if (r.sw !== 0x9000) throw new CardError('bad_status', step, `the card answered ${describeSw(r.sw)}`, { sw: r.sw });
  return r.data;
}
