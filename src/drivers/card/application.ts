/**
 * The social-security card application (card.md), transport-agnostic: give it a `transmit` and it
 * selects the SSSE DF, optionally verifies the PIN, and reads the identity items of EF05 and EF06.
 *
 * Fewest APDUs: records are read by SFI (P2 = SFI<<3|4, no SELECT EF) with the exact Le, so a
 * conforming card needs 12 APDUs (SELECT + GET RESPONSE + 5 + 5). EF06 numbers its records differently
 * in generation 1 (sex is record 3) and later ones (record 4); every record's tag is checked, and when
 * a record is not where the generation says (6A83, another tag), the file is selected and the rest of
 * its items are read by tag (P2 = 00), which works on every generation.
 */
import {
  describeSw,
  exchange,
  expectOk,
  readRecordBySfi,
  readRecordByTag,
  selectByName,
  selectEf,
  SSSE_AID,
  verifyPinCommand,
  type Transmit,
} from './apdu.ts';
import { decodeAn, decodeBcdDate, decodeCn, decodeGbkName, hex2, parseRecordTlv, toHex } from './codec.ts';
import { CardError } from './errors.ts';

/** What the chip says: the identity minus what the reader adds (ATR, terminal and device ids). */
export interface CardFacts {
  /** Issuing area code: the first 6 digits of the card identification code. */
  admdvs: string;
  /** Social-security number (the ID number). */
  certno: string;
  card_no: string;
  /** Card identification code, 32 hex digits. */
  card_sn: string;
  psn_name: string;
  /** "1.00", "2.00" or "3.00": the generation. */
  spec_ver: string;
  /** yyyy-MM-dd */
  issue_date: string;
  /** yyyy-MM-dd */
  expiry_date: string;
  /** "1" male, "2" female (GB/T 2261.1; "0" unknown and "9" unstated are accepted too). */
  gend: string;
  /** Nation, GB 3304 two-digit code. */
  naty: string;
  /** Birth date, yyyy-MM-dd. */
  brdy: string;
}

type FileName = 'EF05' | 'EF06';

interface Item {
  key: keyof Omit<CardFacts, 'admdvs'>;
  file: FileName;
  tag: number;
  label: string;
  /** Record number by generation ('1' or later). */
  rec: (gen: string) => number;
  /** Longest value the card may hold; Le asks for exactly this (plus the 2-byte TLV header). */
  len: number;
  decode: (value: Buffer, step: string) => string;
}

const FILES: Record<FileName, { fid: number; sfi: number }> = {
  EF05: { fid: 0xef05, sfi: 5 },
  EF06: { fid: 0xef06, sfi: 6 },
};

const alnum = /^[0-9A-Za-z]+$/;

function decodeCardSn(value: Buffer, step: string): string {
  if (value.length !== 16) throw new CardError('bad_field', step, `card identification code has ${value.length} bytes, expected 16`);
  const hex = toHex(value);
  if (!/^\d{6}/.test(hex)) throw new CardError('bad_field', step, `card identification code does not start with a BCD area code (${hex.slice(0, 6)})`);
  return hex;
}

const EF05_ITEMS: Item[] = [
  { key: 'card_sn', file: 'EF05', tag: 0x01, label: 'card identification code', rec: () => 1, len: 16, decode: decodeCardSn },
  {
    key: 'spec_ver', file: 'EF05', tag: 0x03, label: 'spec version', rec: () => 3, len: 4,
    decode: (v, s) => decodeAn(v, s, 'spec version', 4, /^\d\.\d\d$/),
  },
  { key: 'issue_date', file: 'EF05', tag: 0x05, label: 'issue date', rec: () => 5, len: 4, decode: (v, s) => decodeBcdDate(v, s, 'issue date') },
  { key: 'expiry_date', file: 'EF05', tag: 0x06, label: 'expiry date', rec: () => 6, len: 4, decode: (v, s) => decodeBcdDate(v, s, 'expiry date') },
  { key: 'card_no', file: 'EF05', tag: 0x07, label: 'card number', rec: () => 7, len: 9, decode: (v, s) => decodeAn(v, s, 'card number', 9, alnum) },
];

const EF06_ITEMS: Item[] = [
  {
    key: 'certno', file: 'EF06', tag: 0x08, label: 'social-security number', rec: () => 1, len: 18,
    decode: (v, s) => decodeAn(v, s, 'social-security number', 18, alnum),
  },
  { key: 'psn_name', file: 'EF06', tag: 0x09, label: 'name', rec: () => 2, len: 30, decode: (v, s) => decodeGbkName(v, s, 'name', 30) },
  {
    key: 'gend', file: 'EF06', tag: 0x0a, label: 'sex', rec: (gen) => (gen === '1' ? 3 : 4), len: 1,
    decode: (v, s) => decodeAn(v, s, 'sex', 1, /^[0129]$/),
  },
  { key: 'naty', file: 'EF06', tag: 0x0b, label: 'nation', rec: () => 5, len: 1, decode: (v, s) => decodeCn(v, s, 'nation', 1, 2) },
  { key: 'brdy', file: 'EF06', tag: 0x0d, label: 'birth date', rec: () => 7, len: 4, decode: (v, s) => decodeBcdDate(v, s, 'birth date') },
];

/** Every command the read sends, for tests and the bench: the APDU count of a conforming card. */
export const EXPECTED_APDUS = 2 + EF05_ITEMS.length + EF06_ITEMS.length;

export async function selectApplication(transmit: Transmit): Promise<void> {
  const step = 'SELECT SSSE';
  const r = await exchange(transmit, selectByName(SSSE_AID), step);
  if (r.sw === 0x6a82) throw new CardError('bad_status', step, 'not a social-security card (no sx1.sh.社会保障 application, 6A82)', { sw: r.sw });
  expectOk(r, step);
}

/**
 * VERIFY the PIN (the SSSE DF must be selected). Resolves when accepted; otherwise CardError
 * pin_wrong (with triesLeft), pin_blocked (message says "blocked"), pin_invalid or bad_status.
 */
export async function verifyPin(transmit: Transmit, pin: string): Promise<void> {
  const step = 'VERIFY PIN';
  const cmd = verifyPinCommand(pin);
  const r = await exchange(transmit, cmd, step);
  if (r.sw === 0x9000) return;
  if (r.sw === 0x6983 || r.sw === 0x63c0) {
    throw new CardError('pin_blocked', step, `the card's PIN is blocked (the card answered ${describeSw(r.sw)})`, { sw: r.sw, triesLeft: 0 });
  }
  if ((r.sw & 0xfff0) === 0x63c0) {
    const left = r.sw & 0x0f;
    throw new CardError('pin_wrong', step, `wrong PIN, ${left} ${left === 1 ? 'try' : 'tries'} left`, { sw: r.sw, triesLeft: left });
  }
  throw new CardError('bad_status', step, `the card answered ${describeSw(r.sw)}`, { sw: r.sw });
}

/**
 * Reads the card's identity items. The identity is complete or this throws a CardError naming the
 * step (card pulled, wrong status word, malformed TLV, invalid GBK, a date that is not a date).
 */
export async function readCardFacts(transmit: Transmit, opts: { pin?: string | undefined } = {}): Promise<CardFacts> {
  if (opts.pin !== undefined) verifyPinCommand(opts.pin); // reject a malformed PIN before touching the card
  await selectApplication(transmit);
  if (opts.pin !== undefined) await verifyPin(transmit, opts.pin);

  const facts: Partial<CardFacts> = {};
  await readFile(transmit, EF05_ITEMS, '2', facts);
  const gen = facts.spec_ver!.slice(0, 1);
  await readFile(transmit, EF06_ITEMS, gen, facts);
  facts.admdvs = facts.card_sn!.slice(0, 6);
  return facts as CardFacts;
}

async function readFile(transmit: Transmit, items: Item[], gen: string, out: Partial<CardFacts>): Promise<void> {
  const file = FILES[items[0]!.file];
  const name = items[0]!.file;
  let byTag = false;
  for (const item of items) {
    if (!byTag) {
      const rec = item.rec(gen);
      const step = `READ RECORD ${name} #${rec} (${item.label})`;
      const r = await exchange(transmit, readRecordBySfi(file.sfi, rec, item.len + 2), step);
      if (r.sw === 0x9000 && r.data.length >= 1 && r.data[0] === item.tag) {
        out[item.key] = item.decode(parseRecordTlv(r.data, step, item.tag).value, step);
        continue;
      }
      if (r.sw === 0x9000 || r.sw === 0x6a83 || r.sw === 0x6a86 || r.sw === 0x6a82 || r.sw === 0x6981) {
        // Not where this generation keeps it (or no SFI access): select the file, read by tag from here on.
        byTag = true;
        const sel = `SELECT ${name}`;
        expectOk(await exchange(transmit, selectEf(file.fid), sel), sel);
      } else {
        throw statusError(step, r.sw);
      }
    }
    const step = `READ RECORD ${name} tag ${hex2(item.tag)} (${item.label})`;
    const r = await exchange(transmit, readRecordByTag(item.tag, item.len + 2), step);
    if (r.sw !== 0x9000) throw statusError(step, r.sw);
    out[item.key] = item.decode(parseRecordTlv(r.data, step, item.tag).value, step);
  }
}

function statusError(step: string, sw: number): CardError {
  const hint = sw === 0x6982 ? ': the card wants authentication first (a 3rd-generation card may need the reader\'s security module)' : '';
  return new CardError('bad_status', step, `the card answered ${describeSw(sw)}${hint}`, { sw });
}
