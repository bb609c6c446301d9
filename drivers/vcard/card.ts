/**
 * The virtual social-security card (card.md "The virtual card"; hardware.md 1.2 and 5.2): the SSSE
 * DF with its two record files EF05 and EF06 for generations 1, 2 and 3, a PIN with a retry counter,
 * T=0 behaviour (61xx after SELECT by name, 6Cxx for a wrong Le), and ISO 7816-4 status words for
 * everything else, so that any PC/SC client (opensc-tool, pcsc_scan) can talk to it.
 *
 * Record layout:
 *   EF05 (SFI 5), every generation: #1 tag 01 card identification code (16), #2 02 card type (1),
 *     #3 03 spec version (4), #4 04 initialising organisation (12), #5 05 issue date (4, BCD),
 *     #6 06 expiry date (4, BCD), #7 07 card number (9).
 *   EF06 (SFI 6), generation 1: #1 08 social-security number (18), #2 09 name (30, GBK), #3 0A sex,
 *     #5 0B nation, #6 0C birthplace, #7 0D birth date; no record 4.
 *   EF06, generations 2 and 3: #3 is 4E name extension (20), sex moves to #4; the rest as above.
 *
 * `process` never throws: an internal failure answers 6F00.
 */
import { randomBytes } from 'node:crypto';
import { SSSE_AID } from '../../src/drivers/card/apdu.ts';
import { encodeAn, encodeBcdDate, encodeCn, encodeGbk, encodeTlv, fromHex } from '../../src/drivers/card/codec.ts';
import type { SimulatedCard } from '../../src/drivers/card/types.ts';
import { maskCardNo } from '../../src/core/mask.ts';

/** What the chip holds: the card's own data and its holder's (after `chip` overrides). */
export interface CardImage {
  card_no: string;
  card_sn: string;
  spec_ver: '1.00' | '2.00' | '3.00';
  issue_date: string;
  expiry_date: string;
  pin: string;
  certno: string;
  psn_name: string;
  gend: string;
  naty: string;
  brdy: string;
}

/** Variations of real cards and faults, for tests. */
export interface CardQuirks {
  /** SELECT by name answers FCI + 9000 at once instead of 61xx (a T=1-style card). */
  selectDirect?: boolean;
  /** Keep the name in a record of this many bytes instead of 30 (a reader asking Le for 30 gets 6Cxx). */
  nameLength?: number;
  /** EF06 answers 6982 (a 3rd-generation card that wants the reader's security module). */
  ef06AuthRequired?: boolean;
  /** Raw record bytes (tag, length, value as stored) replacing the encoded ones, keyed by tag. */
  rawRecords?: Partial<Record<number, Buffer>>;
  /** PIN tries left at the start (default 3). */
  pinTriesLeft?: number;
}

export const PIN_TRIES = 3;

type Sw = number;
const MF = 0x3f00;
const EF05 = 0xef05;
const EF06 = 0xef06;

interface RecordFile {
  sfi: number;
  /** Index = record number - 1; null = no such record. */
  records: (Buffer | null)[];
}

function sw(code: Sw, data?: Uint8Array): Buffer {
  const tail = Buffer.from([code >> 8, code & 0xff]);
  return data && data.length ? Buffer.concat([data, tail]) : tail;
}

/** The card's ATR: T=0 only, TB1 = TC1 = 00, 12 historical bytes "MPOS-SSCARD" + the generation digit. */
export function atrFor(specVer: string): Buffer {
  return Buffer.concat([Buffer.from([0x3b, 0x6c, 0x00, 0x00]), Buffer.from(`MPOS-SSCARD${specVer.slice(0, 1)}`, 'latin1')]);
}

/** Checks an image and encodes it; throws RangeError naming the field that cannot go on a chip. */
function buildFiles(img: CardImage, quirks: CardQuirks): Map<number, RecordFile> {
  const field = <T>(name: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new RangeError(`card ${maskCardNo(img.card_no)}: ${name} ${(err as Error).message}`);
    }
  };
  if (!/^\d{6}D156000005[0-9A-F]{16}$/i.test(img.card_sn)) {
    throw new RangeError(`card ${maskCardNo(img.card_no)}: card_sn must be 32 hex digits starting with an area code and D156000005`);
  }
  const area = img.card_sn.slice(0, 6);
  const gen = img.spec_ver.slice(0, 1);
  const naty = img.naty.padStart(2, '0');
  const birthplace = /^\d{6}/.test(img.certno) ? img.certno.slice(0, 6) : area;
  const rec = (tag: number, value: Buffer) => quirks.rawRecords?.[tag] ?? encodeTlv(tag, value);

  const ef05: RecordFile = {
    sfi: 5,
    records: [
      rec(0x01, fromHex(img.card_sn)),
      rec(0x02, encodeAn('1', 1)),
      rec(0x03, field('spec_ver', () => encodeAn(img.spec_ver, 4))),
      rec(0x04, encodeAn(`${area}000000`, 12)),
      rec(0x05, field('issue_date', () => encodeBcdDate(img.issue_date))),
      rec(0x06, field('expiry_date', () => encodeBcdDate(img.expiry_date))),
      rec(0x07, field('card_no', () => encodeAn(img.card_no, 9))),
    ],
  };
  const certno = rec(0x08, field('certno', () => encodeAn(img.certno, 18)));
  const name = rec(0x09, field('psn_name', () => encodeGbk(img.psn_name, quirks.nameLength ?? 30)));
  const sex = rec(0x0a, field('gend', () => encodeAn(img.gend, 1)));
  const nation = rec(
    0x0b,
    field('naty', () => {
      if (!/^\d{2}$/.test(naty)) throw new RangeError(`${JSON.stringify(img.naty)} is not a 2-digit GB 3304 code`);
      return encodeCn(naty, 1);
    }),
  );
  const place = rec(0x0c, encodeCn(birthplace, 3));
  const birth = rec(0x0d, field('brdy', () => encodeBcdDate(img.brdy)));
  const ef06: RecordFile = {
    sfi: 6,
    records:
      gen === '1'
        ? [certno, name, sex, null, nation, place, birth]
        : [certno, name, rec(0x4e, Buffer.alloc(20)), sex, nation, place, birth],
  };
  return new Map([
    [EF05, ef05],
    [EF06, ef06],
  ]);
}

export class VirtualSsCard implements SimulatedCard {
  readonly atr: Buffer;
  readonly cardNo: string;
  private readonly files: Map<number, RecordFile>;
  private readonly pinBcd: Buffer;
  private readonly quirks: CardQuirks;
  private triesLeft: number;
  // Volatile state, lost on reset.
  private dfSelected = false;
  private currentEf: number | null = null;
  private verified = false;
  private pending: Buffer | null = null;

  constructor(image: CardImage, quirks: CardQuirks = {}) {
    if (!/^\d{6}$/.test(image.pin)) throw new RangeError(`card ${maskCardNo(image.card_no)}: pin must be 6 digits`);
    this.files = buildFiles(image, quirks);
    this.quirks = quirks;
    this.cardNo = image.card_no;
    this.atr = atrFor(image.spec_ver);
    this.pinBcd = Buffer.from(image.pin, 'hex');
    this.triesLeft = quirks.pinTriesLeft ?? PIN_TRIES;
  }

  get pinTriesLeft(): number {
    return this.triesLeft;
  }

  reset(): void {
    this.dfSelected = false;
    this.currentEf = null;
    this.verified = false;
    this.pending = null;
  }

  process(apdu: Buffer): Buffer {
    try {
      return this.dispatch(apdu);
    } catch {
      return sw(0x6f00);
    }
  }

  private dispatch(apdu: Buffer): Buffer {
    const cmd = parseCommand(apdu);
    if (typeof cmd === 'number') return sw(cmd);
    const pending = this.pending;
    this.pending = null;
    if (cmd.cla !== 0x00) {
      if ((cmd.cla & 0xf0) === 0x00) return sw(cmd.cla & 0x03 ? 0x6881 : 0x6882); // logical channel / secure messaging
      return sw(0x6e00);
    }
    switch (cmd.ins) {
      case 0xa4:
        return this.select(cmd);
      case 0xc0:
        return this.getResponse(cmd, pending);
      case 0xb2:
        return this.readRecord(cmd);
      case 0x20:
        return this.verify(cmd);
      case 0x84:
        if (cmd.data || cmd.le === undefined) return sw(0x6700);
        if (cmd.p1 !== 0 || cmd.p2 !== 0) return sw(0x6a86);
        return sw(0x9000, randomBytes(cmd.le));
      case 0xb0:
        return sw(this.currentEf === null ? 0x6986 : 0x6981);
      case 0xd6:
      case 0xdc:
      case 0xe2:
      case 0xe0:
      case 0xe4:
        return sw(0x6982);
      case 0xca:
      case 0xcb:
        return sw(0x6a88);
      default:
        return sw(0x6d00);
    }
  }

  private select(cmd: Command): Buffer {
    const data = cmd.data ?? Buffer.alloc(0);
    if (cmd.p1 === 0x04) {
      if ((cmd.p2 & 0xf3) !== 0x00) return sw(0x6a86);
      if (!data.equals(SSSE_AID)) return sw(0x6a82);
      this.dfSelected = true;
      this.currentEf = null;
      this.verified = false;
      if ((cmd.p2 & 0x0c) === 0x0c) return sw(0x9000);
      const fci = Buffer.concat([Buffer.from([0x6f, SSSE_AID.length + 2, 0x84, SSSE_AID.length]), SSSE_AID]);
      if (this.quirks.selectDirect) return sw(0x9000, fci);
      this.pending = fci;
      return sw(0x6100 | fci.length);
    }
    if (cmd.p1 === 0x00 || cmd.p1 === 0x02) {
      if (cmd.p1 === 0x00 && data.length === 0) return this.selectMf();
      if (data.length !== 2) return sw(0x6700);
      const fid = data.readUInt16BE(0);
      if (fid === MF && cmd.p1 === 0x00) return this.selectMf();
      if (this.dfSelected && this.files.has(fid)) {
        this.currentEf = fid;
        return sw(0x9000);
      }
      return sw(0x6a82);
    }
    if (cmd.p1 === 0x01 || cmd.p1 === 0x03 || cmd.p1 === 0x08 || cmd.p1 === 0x09) return sw(0x6a82);
    return sw(0x6a86);
  }

  private selectMf(): Buffer {
    this.dfSelected = false;
    this.currentEf = null;
    this.verified = false;
    return sw(0x9000);
  }

  private getResponse(cmd: Command, pending: Buffer | null): Buffer {
    if (cmd.data) return sw(0x6700);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return sw(0x6a86);
    if (!pending) return sw(0x6985);
    const le = cmd.le ?? 256;
    if (le > pending.length && le !== 256) {
      this.pending = pending;
      return sw(0x6c00 | pending.length);
    }
    if (le < pending.length) {
      this.pending = pending.subarray(le);
      const left = pending.length - le;
      return sw(0x6100 | (left > 255 ? 0 : left), pending.subarray(0, le));
    }
    return sw(0x9000, pending);
  }

  private readRecord(cmd: Command): Buffer {
    if (cmd.data) return sw(0x6700);
    const sfi = cmd.p2 >> 3;
    const mode = cmd.p2 & 0x07;
    let fid: number | null;
    if (sfi === 0) {
      if (this.currentEf === null) return sw(0x6986);
      fid = this.currentEf;
    } else if (sfi === 0x1f) {
      return sw(0x6a86);
    } else {
      fid = this.dfSelected ? ([...this.files].find(([, f]) => f.sfi === sfi)?.[0] ?? null) : null;
      if (fid === null) return sw(0x6a82);
      this.currentEf = fid;
    }
    const file = this.files.get(fid)!;
    if (fid === EF06 && this.quirks.ef06AuthRequired && !this.verified) return sw(0x6982);
    let record: Buffer | null | undefined;
    if (mode === 0x04) {
      if (cmd.p1 === 0) return sw(0x6a86);
      record = file.records[cmd.p1 - 1];
    } else if (mode === 0x00) {
      if (cmd.p1 === 0) return sw(0x6a86);
      record = file.records.find((r) => r !== null && r[0] === cmd.p1);
    } else {
      return sw(0x6a86);
    }
    if (!record) return sw(0x6a83);
    if (cmd.le === undefined) return sw(0x6c00 | (record.length & 0xff));
    if (cmd.leByte !== 0 && cmd.le !== record.length) return sw(0x6c00 | (record.length & 0xff));
    return sw(0x9000, record.subarray(0, Math.min(record.length, cmd.le)));
  }

  private verify(cmd: Command): Buffer {
    if (cmd.p1 !== 0x00) return sw(0x6a86);
    if (cmd.p2 !== 0x00) return sw(0x6a88);
    if (!this.dfSelected) return sw(0x6985);
    if (!cmd.data) {
      if (this.triesLeft === 0) return sw(0x6983);
      return sw(this.verified ? 0x9000 : 0x63c0 | this.triesLeft);
    }
    if (cmd.data.length !== 3) return sw(0x6700);
    if (!/^\d{6}$/.test(cmd.data.toString('hex'))) return sw(0x6a80);
    if (this.triesLeft === 0) return sw(0x6983);
    if (cmd.data.equals(this.pinBcd)) {
      this.triesLeft = PIN_TRIES;
      this.verified = true;
      return sw(0x9000);
    }
    this.triesLeft--;
    this.verified = false;
    return sw(0x63c0 | this.triesLeft);
  }
}

interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Buffer;
  /** Expected length, 1..256 (Le byte 00 = 256); undefined when the command has no Le. */
  le?: number;
  leByte?: number;
}

/** Parses a short APDU (cases 1-4); returns the status word to answer when it is malformed. */
export function parseCommand(apdu: Buffer): Command | number {
  if (apdu.length < 4) return 0x6700;
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  if ((ins & 0xf0) === 0x60 || (ins & 0xf0) === 0x90) return 0x6d00; // invalid INS per ISO 7816-3
  const base = { cla, ins, p1, p2 };
  if (apdu.length === 4) return base;
  const b4 = apdu[4]!;
  if (apdu.length === 5) return { ...base, le: b4 === 0 ? 256 : b4, leByte: b4 };
  if (b4 === 0) return 0x6700; // extended length: not supported
  if (apdu.length === 5 + b4) return { ...base, data: apdu.subarray(5) };
  if (apdu.length === 6 + b4) {
    const le = apdu[apdu.length - 1]!;
    return { ...base, data: apdu.subarray(5, 5 + b4), le: le === 0 ? 256 : le, leByte: le };
  }
  return 0x6700;
}

/** A virtual card from a chip image. */
export function createVirtualCard(image: CardImage, quirks: CardQuirks = {}): VirtualSsCard {
  return new VirtualSsCard(image, quirks);
}
