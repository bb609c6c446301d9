/**
 * The virtual scanner: the device side of the wire. It opens a serial path (in tests, the "scanner" end
 * of a socat pty pair) and types lines into it the way a tester with a real scanner would: whole lines,
 * lines split over several writes, bursts, binary noise, with a chosen terminator.
 *
 * Writes go through `serialport` (async; never writeSync into a pty whose other end this process may be
 * reading). The binding is injectable, so unit tests can record the bytes with MockBinding.
 */
import { randomBytes } from 'node:crypto';
import { SerialPort } from 'serialport';
import type { BindingInterface } from '../../src/drivers/scanner/driver.ts';
import { z } from 'zod';
import { issueCode } from '../../src/platform/ecert-code.ts';
import { ean13CheckDigit } from '../../src/drivers/scanner/classify.ts';

export const SendTerminatorSchema = z.enum(['CR', 'LF', 'CRLF']);
export type SendTerminator = z.infer<typeof SendTerminatorSchema>;

export const TERMINATOR_BYTES: Record<SendTerminator, Buffer> = {
  CR: Buffer.from('\r'),
  LF: Buffer.from('\n'),
  CRLF: Buffer.from('\r\n'),
};

export const VirtualScannerOptionsSchema = z
  .object({
    path: z.string().min(1),
    baud: z.number().int().min(50).max(4_000_000).default(9600),
    terminator: SendTerminatorSchema.default('CR'),
    /** Bytes a scanner puts before every line (a configured prefix). */
    prefix: z.string().max(64).default(''),
  })
  .strict();
export type VirtualScannerOptions = z.input<typeof VirtualScannerOptionsSchema>;

export interface TypeOptions {
  terminator?: SendTerminator;
  /** Split the line (with its terminator) over this many writes, default 1. */
  chunks?: number;
  /** Pause between the writes of one split line, default 0 ms (the writes are drained either way). */
  gapMs?: number;
}

export class VirtualScanner {
  private closed = false;

  private constructor(
    readonly port: SerialPort,
    readonly options: z.output<typeof VirtualScannerOptionsSchema>,
  ) {}

  /** Opens the device end. */
  static async open(options: VirtualScannerOptions, binding?: BindingInterface): Promise<VirtualScanner> {
    const o = VirtualScannerOptionsSchema.parse(options);
    const port = new SerialPort({
      path: o.path,
      baudRate: o.baud,
      autoOpen: false,
      ...(binding ? ({ binding } as object) : {}),
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('error', () => {
      /* reported through the write callbacks */
    });
    return new VirtualScanner(port, o);
  }

  /** The bytes one scan puts on the wire. */
  frame(line: string | Uint8Array, terminator: SendTerminator = this.options.terminator): Buffer {
    const body = typeof line === 'string' ? Buffer.from(line, 'utf8') : Buffer.from(line);
    return Buffer.concat([Buffer.from(this.options.prefix, 'utf8'), body, TERMINATOR_BYTES[terminator]]);
  }

  /** Types one scan, optionally split over several writes. Resolves once the bytes left this process. */
  async type(line: string | Uint8Array, opts: TypeOptions = {}): Promise<void> {
    const bytes = this.frame(line, opts.terminator);
    const chunks = Math.max(1, Math.min(opts.chunks ?? 1, bytes.length));
    if (chunks === 1) {
      await this.writeRaw(bytes);
      return;
    }
    const size = Math.ceil(bytes.length / chunks);
    for (let off = 0; off < bytes.length; off += size) {
      await this.writeRaw(bytes.subarray(off, off + size));
      await this.drain();
      if (opts.gapMs && opts.gapMs > 0) await new Promise((r) => setTimeout(r, opts.gapMs));
    }
  }

  /** Types many scans back to back (a burst), then drains. */
  async typeMany(lines: Iterable<string | Uint8Array>, opts: Omit<TypeOptions, 'chunks' | 'gapMs'> = {}): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const line of lines) pending.push(this.writeRaw(this.frame(line, opts.terminator)));
    await Promise.all(pending);
    await this.drain();
  }

  /** Writes bytes exactly as given (noise, broken terminators). */
  writeRaw(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('virtual scanner is closed'));
    return new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve()));
    });
  }

  drain(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.port.drain((err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.port.isOpen) return;
    await this.drain().catch(() => {});
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

export function openVirtualScanner(options: VirtualScannerOptions, binding?: BindingInterface): Promise<VirtualScanner> {
  return VirtualScanner.open(options, binding);
}

/** A valid EAN-13 from 12 digits. */
export function makeEan13(first12: string): string {
  return first12 + String(ean13CheckDigit(first12));
}

/** `n` random bytes with no CR or LF, so they stay one (noisy) line. */
export function noiseBytes(n: number): Buffer {
  const b = randomBytes(n);
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0d || b[i] === 0x0a) b[i] = 0x00;
  return b;
}

/**
 * The built-in demo set: an e-certificate code (signed with a throwaway key, so it has the right shape but
 * the platform will refuse it as tampered), an item barcode, a drug trace code, an unknown text and noise.
 */
export function demoLines(now: Date = new Date()): Array<string | Buffer> {
  const code = issueCode({
    psnNo: '43000000000000000001',
    issuedAt: now,
    ttlSeconds: 60,
    key: randomBytes(32),
    nonce: randomBytes(16),
  });
  return [
    code,
    makeEan13('690123456789'),
    '81234560000123456789',
    'HELLO-SCANNER',
    Buffer.from([0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x6e, 0x6f, 0x69, 0x73, 0x65, 0x07, 0xff, 0xfe]),
  ];
}

/** Reads `\xNN`, `\r`, `\n`, `\t`, `\\` escapes in a lines file (for noise and control bytes). */
export function unescapeLine(text: string): Buffer {
  const out: number[] = [];
  const src = Buffer.from(text, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b !== 0x5c || i + 1 >= src.length) {
      out.push(b);
      continue;
    }
    const n = String.fromCharCode(src[i + 1]!);
    if (n === '\\') (out.push(0x5c), i++);
    else if (n === 'r') (out.push(0x0d), i++);
    else if (n === 'n') (out.push(0x0a), i++);
    else if (n === 't') (out.push(0x09), i++);
    else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(src.subarray(i + 2, i + 4).toString('latin1'))) {
      out.push(parseInt(src.subarray(i + 2, i + 4).toString('latin1'), 16));
      i += 3;
    } else out.push(b);
  }
  return Buffer.from(out);
}
