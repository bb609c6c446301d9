/**
 * A bounded line splitter for scanner input.
 *
 * ReadlineParser buffers without limit; this one never holds more than `maxLineBytes` bytes of a line.
 * A line longer than that is dropped: one `overflow` event is emitted as soon as the limit is passed,
 * the rest of the line is counted and discarded up to its terminator, and the next line is read normally.
 *
 * Terminators: 'CR', 'LF', 'CRLF' (exactly the two-byte sequence; a lone CR or LF is data), or 'any'
 * (CR, LF or CR LF). Empty lines are skipped, so CR LF under 'any' is one terminator even when the CR and
 * the LF arrive in different chunks. A partial line left when the stream ends is discarded, never
 * emitted: a scan cut by an unplug is not a scan.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { MAX_LINE_BYTES, type Terminator } from './settings.ts';

const CR = 0x0d;
const LF = 0x0a;
const CR_BYTE = Buffer.from([CR]);

export type SplitEvent =
  | { type: 'line'; bytes: Buffer }
  | { type: 'overflow'; droppedBytes: number; limit: number };

/** The pure, synchronous core: feed chunks, get events. Never throws for any byte input. */
export class LineAssembler {
  private parts: Buffer[] = [];
  private length = 0;
  private discarding = false;
  private pendingCR = false;

  constructor(
    readonly terminator: Terminator = 'any',
    readonly maxLineBytes: number = MAX_LINE_BYTES,
  ) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new TypeError('maxLineBytes must be a positive integer');
  }

  /** Bytes currently held for an unfinished line (never more than maxLineBytes). */
  get buffered(): number {
    return this.length;
  }

  push(chunk: Uint8Array): SplitEvent[] {
    const out: SplitEvent[] = [];
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) return out;
    let i = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (buf[0] === LF) {
        this.endLine(out);
        i = 1;
      } else {
        this.append(CR_BYTE, out);
      }
    }
    while (i < buf.length) {
      const d = this.findDelimiter(buf, i);
      if (d === null) {
        this.append(buf.subarray(i), out);
        break;
      }
      this.append(buf.subarray(i, d.at), out);
      if (d.size === 0) {
        // CRLF mode, chunk ends in CR: decide when the next byte arrives.
        this.pendingCR = true;
        break;
      }
      this.endLine(out);
      i = d.at + d.size;
    }
    return out;
  }

  /** Forget any partial line (used when the stream ends or the port is lost). */
  reset(): void {
    this.parts = [];
    this.length = 0;
    this.discarding = false;
    this.pendingCR = false;
  }

  private findDelimiter(buf: Buffer, from: number): { at: number; size: 0 | 1 | 2 } | null {
    switch (this.terminator) {
      case 'CR': {
        const at = buf.indexOf(CR, from);
        return at < 0 ? null : { at, size: 1 };
      }
      case 'LF': {
        const at = buf.indexOf(LF, from);
        return at < 0 ? null : { at, size: 1 };
      }
      case 'any': {
        const cr = buf.indexOf(CR, from);
        const lf = buf.indexOf(LF, from);
        if (cr < 0 && lf < 0) return null;
        const at = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
        return { at, size: 1 };
      }
      case 'CRLF': {
        let at = buf.indexOf(CR, from);
        while (at >= 0) {
          if (at === buf.length - 1) return { at, size: 0 };
          if (buf[at + 1] === LF) return { at, size: 2 };
          at = buf.indexOf(CR, at + 1);
        }
        return null;
      }
    }
  }

  private append(bytes: Buffer, out: SplitEvent[]): void {
    if (bytes.length === 0) return;
    if (this.discarding) return;
    if (this.length + bytes.length > this.maxLineBytes) {
      out.push({ type: 'overflow', droppedBytes: this.length + bytes.length, limit: this.maxLineBytes });
      this.parts = [];
      this.length = 0;
      this.discarding = true;
      return;
    }
    // Copy: the chunk may be a slice of a pool the stream reuses.
    this.parts.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  private endLine(out: SplitEvent[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.length > 0) out.push({ type: 'line', bytes: Buffer.concat(this.parts, this.length) });
    this.parts = [];
    this.length = 0;
  }
}

/** A Transform: bytes in, SplitEvent objects out. */
export class LineSplitter extends Transform {
  readonly assembler: LineAssembler;

  constructor(terminator: Terminator = 'any', maxLineBytes: number = MAX_LINE_BYTES) {
    super({ readableObjectMode: true });
    this.assembler = new LineAssembler(terminator, maxLineBytes);
  }

  override _transform(chunk: unknown, _enc: BufferEncoding, callback: TransformCallback): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : null;
    if (bytes) for (const ev of this.assembler.push(bytes)) this.push(ev);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.assembler.reset();
    callback();
  }
}
