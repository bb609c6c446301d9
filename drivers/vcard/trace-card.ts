/**
 * A recorded trace served back as a card. Each command is answered with what the real card answered
 * to the same bytes, in recorded order (a command seen twice gets its answers in turn, then the last
 * one again); a reset starts over, so the same read replays the same way. VERIFY is matched with its
 * PIN redacted, as recorded. Commands the trace never saw get the ISO answer a card gives for
 * something it does not have (6A82, 6A83, 6985, else 6D00). A recorded 0-byte answer (the card was
 * pulled) is replayed as 0 bytes.
 */
import { toHex } from '../../src/drivers/card/codec.ts';
import { exchangeBytes, redactCommand, type CardTrace } from '../../src/drivers/card/trace.ts';
import type { SimulatedCard } from '../../src/drivers/card/types.ts';

export class TraceCard implements SimulatedCard {
  readonly atr: Buffer;
  private readonly answers = new Map<string, Buffer[]>();
  private readonly cursor = new Map<string, number>();

  constructor(trace: CardTrace) {
    this.atr = Buffer.from(trace.atr, 'hex');
    for (const e of trace.exchanges) {
      const { command, response } = exchangeBytes(e);
      const key = toHex(redactCommand(command));
      const list = this.answers.get(key) ?? [];
      list.push(response);
      this.answers.set(key, list);
    }
  }

  reset(): void {
    this.cursor.clear();
  }

  process(apdu: Buffer): Buffer {
    const key = toHex(redactCommand(apdu));
    const list = this.answers.get(key);
    if (!list) return Buffer.from(unknownSw(apdu));
    const i = this.cursor.get(key) ?? 0;
    this.cursor.set(key, Math.min(i + 1, list.length - 1));
    return Buffer.from(list[i]!);
  }
}

function unknownSw(apdu: Buffer): number[] {
  if (apdu.length < 4) return [0x67, 0x00];
  switch (apdu[1]) {
    case 0xa4:
      return [0x6a, 0x82];
    case 0xb2:
      return [0x6a, 0x83];
    case 0xc0:
    case 0x20:
      return [0x69, 0x85];
    default:
      return [0x6d, 0x00];
  }
}

export function createTraceCard(trace: CardTrace): TraceCard {
  return new TraceCard(trace);
}
