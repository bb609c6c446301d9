/** `scanner emulate`: type lines from a file, stdin or the demo set into a serial path. Shared by both CLIs. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { BindingInterface } from '../../src/drivers/scanner/driver.ts';
import { z } from 'zod';
import { demoLines, SendTerminatorSchema, unescapeLine, VirtualScanner } from './virtual-scanner.ts';

export const EmulateOptionsSchema = z
  .object({
    port: z.string().min(1, '--port is required'),
    baud: z.number().int().min(50).max(4_000_000).default(9600),
    terminator: SendTerminatorSchema.default('CR'),
    prefix: z.string().max(64).default(''),
    /** A file of lines, '-' for standard input, or absent for the built-in demo set. */
    lines: z.string().min(1).optional(),
    /** Split every line over this many writes. */
    chunks: z.number().int().min(1).max(4096).default(1),
    gapMs: z.number().int().min(0).max(60_000).default(0),
    /** Interpret \xNN, \r, \n, \t and \\ in the lines. */
    escapes: z.boolean().default(false),
  })
  .strict();
export type EmulateOptions = z.input<typeof EmulateOptionsSchema>;

async function* readLines(source: string, stdin: Readable): AsyncGenerator<string> {
  const input = source === '-' ? stdin : createReadStream(source);
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
    if (input !== stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

/** Types the lines; returns how many were typed. Lines are typed as they are read, so stdin can be interactive. */
export async function runEmulate(
  options: EmulateOptions,
  io: { stdin: Readable } = { stdin: process.stdin },
  binding?: BindingInterface,
): Promise<number> {
  const o = EmulateOptionsSchema.parse(options);
  const scanner = await VirtualScanner.open({ path: o.port, baud: o.baud, terminator: o.terminator, prefix: o.prefix }, binding);
  let typed = 0;
  try {
    const typeOpts = { chunks: o.chunks, gapMs: o.gapMs };
    if (o.lines === undefined) {
      for (const line of demoLines()) {
        await scanner.type(line, typeOpts);
        typed++;
      }
    } else {
      for await (const line of readLines(o.lines, io.stdin)) {
        if (line.length === 0) continue;
        await scanner.type(o.escapes ? unescapeLine(line) : line, typeOpts);
        typed++;
      }
    }
    await scanner.drain();
  } finally {
    await scanner.close();
  }
  return typed;
}
