/**
 * APDU traces: every exchange of a read (command, response, time), saved as JSON so a tester can
 * capture a card once and replay it anywhere (drivers/vcard/trace-card.ts serves one back as a card).
 *
 * Format medpos-card-trace/1:
 *   { "format": "medpos-card-trace/1", "recorded_at": ISO time, "reader": name, "atr": hex,
 *     "exchanges": [ { "at_ms": ms since the read began, "command": hex, "response": hex }, ... ] }
 * A response "" is a 0-byte answer (the card was pulled). The PIN digits of VERIFY are never stored:
 * they are replaced by FF bytes, and a replayed VERIFY is matched on its header.
 * Loading validates with zod; errors name the file and the field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Transmit } from './apdu.ts';
import { fromHex, toHex } from './codec.ts';
import { CardError } from './errors.ts';

export const TRACE_FORMAT = 'medpos-card-trace/1';

const hex = (minBytes: number, maxBytes: number) =>
  z
    .string()
    .regex(/^(?:[0-9A-Fa-f]{2})*$/, 'must be hex bytes')
    .refine((s) => s.length / 2 >= minBytes && s.length / 2 <= maxBytes, `must be ${minBytes} to ${maxBytes} bytes`)
    .transform((s) => s.toUpperCase());

export const TraceSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT),
  recorded_at: z.string().max(40),
  reader: z.string().max(200),
  atr: hex(2, 33),
  exchanges: z
    .array(
      z.strictObject({
        at_ms: z.number().finite().nonnegative().max(86_400_000),
        command: hex(4, 261),
        response: hex(0, 258),
      }),
    )
    .max(10_000),
});

export type CardTrace = z.infer<typeof TraceSchema>;
export type TraceExchange = CardTrace['exchanges'][number];

/** VERIFY (INS 20) with its data replaced by FF: PINs never reach a file. */
export function redactCommand(apdu: Buffer): Buffer {
  if (apdu.length > 5 && apdu[1] === 0x20) {
    const out = Buffer.from(apdu);
    const lc = out[4]!;
    out.fill(0xff, 5, Math.min(out.length, 5 + lc));
    return out;
  }
  return apdu;
}

export class TraceRecorder {
  private readonly exchanges: TraceExchange[] = [];
  private t0 = 0;
  private atr = '';
  private reader = '';
  private recordedAt = '';

  /** Called when the session opens; the clock starts here. */
  begin(atr: Buffer, reader: string, now: Date = new Date()): void {
    this.atr = toHex(atr);
    this.reader = reader;
    this.recordedAt = now.toISOString();
    this.t0 = performance.now();
  }

  /** Wraps a transmit so every exchange (failed ones included) is recorded. */
  wrap(transmit: Transmit): Transmit {
    return async (apdu) => {
      const at = performance.now() - this.t0;
      const command = toHex(redactCommand(apdu));
      try {
        const response = await transmit(apdu);
        this.exchanges.push({ at_ms: round(at), command, response: toHex(response) });
        return response;
      } catch (err) {
        this.exchanges.push({ at_ms: round(at), command, response: '' });
        throw err;
      }
    };
  }

  get count(): number {
    return this.exchanges.length;
  }

  toJSON(): CardTrace {
    return { format: TRACE_FORMAT, recorded_at: this.recordedAt, reader: this.reader, atr: this.atr, exchanges: [...this.exchanges] };
  }

  save(file: string): void {
    if (!this.atr) throw new CardError('trace', `trace ${file}`, 'nothing was recorded (no card was read)');
    writeFileSync(file, JSON.stringify(this.toJSON(), null, 2) + '\n', { mode: 0o600 });
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Validates a parsed trace; errors name `source` and the field. */
export function parseTrace(json: unknown, source: string): CardTrace {
  const r = TraceSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') || '(top)'}: ${i.message}`);
    throw new CardError('trace', `trace ${source}`, `not a valid ${TRACE_FORMAT} file: ${problems.slice(0, 5).join('; ')}`);
  }
  return r.data;
}

export function loadTrace(file: string): CardTrace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CardError('trace', `trace ${file}`, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CardError('trace', `trace ${file}`, `not JSON (${(err as Error).message})`);
  }
  return parseTrace(json, file);
}

/** The bytes of one exchange. */
export function exchangeBytes(e: TraceExchange): { command: Buffer; response: Buffer } {
  return { command: fromHex(e.command), response: fromHex(e.response) };
}
