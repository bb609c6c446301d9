/**
 * Stand-alone virtual scanner:
 *   node --import tsx drivers/scanner/cli.ts --port PATH [--terminator CR|LF|CRLF] [--lines FILE|-]
 *        [--baud N] [--prefix P] [--chunks N] [--gap-ms N] [--escapes]
 * Prints {"typed":N,"port":PATH} on standard output when done. Bad arguments: message on stderr, exit 2.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runEmulate, EmulateOptionsSchema } from './emulate.ts';

const USAGE =
  'usage: cli.ts --port PATH [--terminator CR|LF|CRLF] [--lines FILE|-] [--baud N] [--prefix P] [--chunks N] [--gap-ms N] [--escapes]';

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, got '${v}'`);
  return Number(v);
}

async function main(): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string' },
        terminator: { type: 'string' },
        lines: { type: 'string' },
        baud: { type: 'string' },
        prefix: { type: 'string' },
        chunks: { type: 'string' },
        'gap-ms': { type: 'string' },
        escapes: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    options = EmulateOptionsSchema.parse({
      port: values.port ?? '',
      terminator: values.terminator,
      lines: values.lines,
      baud: intArg('--baud', values.baud),
      prefix: values.prefix,
      chunks: intArg('--chunks', values.chunks),
      gapMs: intArg('--gap-ms', values['gap-ms']),
      escapes: values.escapes,
    });
  } catch (err) {
    const msg = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || 'argument'}: ${i.message}`).join('; ') : (err as Error).message;
    process.stderr.write(`virtual scanner: ${msg}\n${USAGE}\n`);
    return 2;
  }
  try {
    const typed = await runEmulate(options);
    process.stdout.write(JSON.stringify({ typed, port: options.port }) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`virtual scanner: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main();
