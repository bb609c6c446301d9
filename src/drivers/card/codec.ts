/**
 * Byte-level codecs of the social-security card (card.md): SIMPLE-TLV records, `an` (ASCII,
 * 00-padded), `cn` (BCD, F-padded), BCD dates and GBK names. Decoders are strict and throw only
 * CardError (code malformed_tlv or bad_field) naming the step; encoders are used by the virtual card.
 */
import iconv from 'iconv-lite';
import { CardError } from './errors.ts';

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

/** Hex text to bytes; spaces are allowed between bytes. Throws TypeError on anything else. */
export function fromHex(hex: string): Buffer {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new TypeError(`not hex bytes: ${JSON.stringify(hex.slice(0, 40))}`);
  return Buffer.from(clean, 'hex');
}

export interface Tlv {
  tag: number;
  value: Buffer;
}

/**
 * One SIMPLE-TLV (ISO 7816-4 5.2.1): tag 01..FE, length 00..FE or FF + 2 bytes, then the value.
 * A record of the card is exactly one TLV: missing or extra bytes are errors.
 */
export function parseRecordTlv(data: Uint8Array, step: string, expectedTag?: number): Tlv {
  const bad = (why: string): never => {
    // Only the header and 2 value bytes: a record may hold an ID number or a name.
    const head = toHex(data.subarray(0, 4)) + (data.length > 4 ? '...' : '');
    throw new CardError('malformed_tlv', step, `malformed record (${why}): ${head}`);
  };
  if (data.length < 2) bad(`${data.length} byte${data.length === 1 ? '' : 's'}, a TLV needs at least 2`);
  const tag = data[0]!;
  if (tag === 0x00 || tag === 0xff) bad(`tag ${hex2(tag)} is not valid`);
  let len = data[1]!;
  let offset = 2;
  if (len === 0xff) {
    if (data.length < 4) bad('the 3-byte length is cut short');
    len = (data[2]! << 8) | data[3]!;
    offset = 4;
  }
  if (data.length < offset + len) bad(`length ${len} but only ${data.length - offset} value bytes`);
  if (data.length > offset + len) bad(`${data.length - offset - len} bytes after the value`);
  if (expectedTag !== undefined && tag !== expectedTag) bad(`tag ${hex2(tag)} where ${hex2(expectedTag)} was expected`);
  return { tag, value: Buffer.from(data.subarray(offset, offset + len)) };
}

export function encodeTlv(tag: number, value: Uint8Array): Buffer {
  if (value.length > 0xfe) {
    return Buffer.concat([Buffer.from([tag, 0xff, value.length >> 8, value.length & 0xff]), value]);
  }
  return Buffer.concat([Buffer.from([tag, value.length]), value]);
}

export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function fieldError(step: string, what: string, why: string): CardError {
  return new CardError('bad_field', step, `${what} ${why}`);
}

function checkLength(value: Uint8Array, step: string, what: string, min: number, max = min): void {
  if (value.length < min || value.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw fieldError(step, what, `has ${value.length} bytes, expected ${want}`);
  }
}

/** `an`: printable ASCII, left-aligned, 00-padded on the right; no NUL inside the text. */
export function decodeAn(value: Uint8Array, step: string, what: string, len: number, pattern?: RegExp): string {
  checkLength(value, step, what, len);
  let end = value.length;
  while (end > 0 && value[end - 1] === 0x00) end--;
  for (let i = 0; i < end; i++) {
    const c = value[i]!;
    if (c < 0x20 || c > 0x7e) throw fieldError(step, what, `is not ASCII text (byte ${hex2(c)} at ${i})`);
  }
  const text = Buffer.from(value.subarray(0, end)).toString('latin1');
  if (text.length === 0) throw fieldError(step, what, 'is empty');
  if (pattern && !pattern.test(text)) throw fieldError(step, what, `has an unexpected form (${pattern.source})`);
  return text;
}

export function encodeAn(text: string, len: number): Buffer {
  const out = Buffer.alloc(len);
  if (!/^[\x20-\x7e]*$/.test(text)) throw new RangeError('is not printable ASCII');
  if (text.length > len) throw new RangeError(`has ${text.length} characters, at most ${len} fit`);
  out.write(text, 'latin1');
  return out;
}

/** `cn`: BCD digits, left-aligned, F-padded on the right. Returns the digits. */
export function decodeCn(value: Uint8Array, step: string, what: string, len: number, digits?: number): string {
  checkLength(value, step, what, len);
  const nibbles = toHex(value);
  const m = /^([0-9]*)(F*)$/.exec(nibbles);
  if (!m) throw fieldError(step, what, `is not BCD (${nibbles})`);
  const text = m[1]!;
  if (digits !== undefined && text.length !== digits) throw fieldError(step, what, `has ${text.length} digits, expected ${digits}`);
  if (text.length === 0) throw fieldError(step, what, 'is empty');
  return text;
}

export function encodeCn(digits: string, len: number): Buffer {
  if (!/^\d*$/.test(digits) || digits.length > len * 2) throw new RangeError(`is not at most ${len * 2} decimal digits`);
  return Buffer.from(digits.padEnd(len * 2, 'F'), 'hex');
}

/** A BCD date yyyyMMdd (4 bytes) that is a real calendar date; returned as yyyy-MM-dd. */
export function decodeBcdDate(value: Uint8Array, step: string, what: string): string {
  const digits = decodeCn(value, step, what, 4, 8);
  const iso = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
  if (!isCalendarDate(iso)) throw fieldError(step, what, `is not a date (${digits})`);
  return iso;
}

export function encodeBcdDate(isoDate: string): Buffer {
  if (!isCalendarDate(isoDate)) throw new RangeError(`${JSON.stringify(isoDate)} is not a date yyyy-MM-dd`);
  return encodeCn(isoDate.replace(/-/g, ''), 4);
}

export function isCalendarDate(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const y = Number(iso.slice(0, 4));
  if (y < 1800) return false;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/**
 * Structural GBK check: single bytes 00..7F, or a lead byte 81..FE followed by a trail byte 40..FE
 * other than 7F. (iconv-lite maps the lone 80 to the euro sign, CP936 style; GBK proper has no 80.)
 */
function gbkStructureError(b: Uint8Array): string | null {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return `control byte ${hex2(c)} at ${i}`;
      continue;
    }
    if (c === 0x80 || c === 0xff) return `byte ${hex2(c)} at ${i} is not GBK`;
    const t = b[i + 1];
    if (t === undefined) return `lead byte ${hex2(c)} at ${i} has no trail byte`;
    if (t < 0x40 || t === 0x7f || t === 0xff) return `bytes ${hex2(c)}${hex2(t)} at ${i} are not GBK`;
    i++;
  }
  return null;
}

/** A GBK name, 00-padded (trailing spaces also dropped). Must be valid GBK and not empty. */
export function decodeGbkName(value: Uint8Array, step: string, what: string, maxLen: number): string {
  checkLength(value, step, what, 1, maxLen);
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0x00 || value[end - 1] === 0x20)) end--;
  const bytes = value.subarray(0, end);
  const why = gbkStructureError(bytes);
  if (why) throw fieldError(step, what, `is not valid GBK (${why})`);
  const text = iconv.decode(Buffer.from(bytes), 'gbk');
  if (text.includes('\uFFFD') || !iconv.encode(text, 'gbk').equals(Buffer.from(bytes))) {
    throw fieldError(step, what, 'is not valid GBK (unmapped character)');
  }
  if (text.trim().length === 0) throw fieldError(step, what, 'is empty');
  return text.trim();
}

/** GBK, 00-padded to `len` bytes. Throws RangeError when a character has no GBK code or it does not fit. */
export function encodeGbk(text: string, len: number): Buffer {
  const bytes = iconv.encode(text, 'gbk');
  if (iconv.decode(bytes, 'gbk') !== text) throw new RangeError('has characters GBK cannot encode');
  if (bytes.length > len) throw new RangeError(`needs ${bytes.length} bytes in GBK, at most ${len} fit`);
  const out = Buffer.alloc(len);
  bytes.copy(out);
  return out;
}
