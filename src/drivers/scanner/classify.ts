/** Classification of one scanned line, and safe rendering of whatever bytes a scanner sends. */
import { looksLikeEcertCode } from '../../platform/ecert-code.ts';

export type ScanKind = 'ecert' | 'ean13' | 'trace' | 'unknown';

export interface ClassifiedLine {
  kind: ScanKind;
  /** For ecert/ean13/trace: the exact text. For unknown: the text with control and invalid bytes escaped. */
  text: string;
}

/** The EAN-13 check digit of the first 12 digits. */
export function ean13CheckDigit(first12: string): number {
  if (!/^\d{12}$/.test(first12)) throw new TypeError('ean13CheckDigit needs exactly 12 digits');
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

export function isValidEan13(text: string): boolean {
  return /^\d{13}$/.test(text) && ean13CheckDigit(text.slice(0, 12)) === Number(text[12]);
}

/** A 20-digit drug trace code (药品追溯码); its leading digits identify the item. */
export function isTraceCode(text: string): boolean {
  return /^\d{20}$/.test(text);
}

/** Classifies text that is already known to be plain printable ASCII. */
export function classifyText(text: string): ScanKind {
  if (isValidEan13(text)) return 'ean13';
  if (isTraceCode(text)) return 'trace';
  if (looksLikeEcertCode(text)) return 'ecert';
  return 'unknown';
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Code points that must never reach a screen or a log raw: controls, line/paragraph separators, bidi controls, BOM. */
function mustEscape(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff
  );
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * Renders bytes as text a cashier can see and a log can hold: valid UTF-8 stays readable, a backslash
 * becomes `\\`, controls become `\xNN` or `\u{NNNN}`, and if the bytes are not valid UTF-8 every byte
 * outside printable ASCII becomes `\xNN`. The result is unambiguous and has no raw control characters.
 */
export function visibleText(bytes: Buffer): string {
  let decoded: string | null;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    decoded = null;
  }
  let out = '';
  if (decoded !== null) {
    for (const ch of decoded) {
      const cp = ch.codePointAt(0)!;
      if (ch === '\\') out += '\\\\';
      else if (!mustEscape(cp)) out += ch;
      else if (cp <= 0xff) out += `\\x${hex2(cp)}`;
      else out += `\\u{${cp.toString(16)}}`;
    }
    return out;
  }
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\x${hex2(b)}`;
  }
  return out;
}

/** Strips `prefix` (if the line starts with it) and classifies the rest. */
export function classifyLine(line: Buffer, prefix = ''): ClassifiedLine {
  let bytes = line;
  if (prefix.length > 0) {
    const p = Buffer.from(prefix, 'utf8');
    if (bytes.length >= p.length && bytes.subarray(0, p.length).equals(p)) bytes = bytes.subarray(p.length);
  }
  const ascii = bytes.toString('latin1');
  if (PRINTABLE_ASCII.test(ascii)) {
    const kind = classifyText(ascii);
    return { kind, text: kind === 'unknown' ? visibleText(bytes) : ascii };
  }
  return { kind: 'unknown', text: visibleText(bytes) };
}
