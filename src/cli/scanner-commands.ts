/**
 * `medpos scan` and `medpos scanner emulate`.
 *
 * scan: one JSON object per line on standard output (ecert.md): first
 *   {"kind":"status","status":"listening","port":...} (again after each reconnection), then
 *   {"kind":"ecert"|"ean13"|"trace"|"unknown","text":...} per scan; warnings and status changes as
 *   {"kind":"status",...}. Runs until SIGINT/SIGTERM, then closes the port and exits 0. Logs on stderr.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { ScannerDriver, type ScanEvent, type StatusEvent } from '../drivers/scanner/driver.ts';
import { ScannerSettingsSchema } from '../drivers/scanner/settings.ts';
import { EmulateOptionsSchema, runEmulate } from '../../drivers/scanner/emulate.ts';
import { log } from '../log.ts';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

/** Setting names as the user typed them on the command line. */
const FLAG: Record<string, string> = { path: '--port', port: '--port', gapMs: '--gap-ms' };

function zodMessage(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const key = i.path.map(String).join('.');
      return `${key ? (FLAG[key] ?? `--${key}`) : 'argument'}: ${i.message}`;
    })
    .join('; ');
}

/** Writes one JSON line; false once standard output is gone (EPIPE). */
function makeJsonWriter(): { write: (obj: object) => void; broken: Promise<void> } {
  let broken = false;
  let onBroken: () => void = () => {};
  const brokenP = new Promise<void>((resolve) => (onBroken = resolve));
  process.stdout.on('error', () => {
    broken = true;
    onBroken();
  });
  return {
    write: (obj) => {
      if (!broken) process.stdout.write(JSON.stringify(obj) + '\n');
    },
    broken: brokenP,
  };
}

export function registerScannerCommands(program: Command): void {
  program
    .command('scan')
    .description('listen to a serial barcode/QR scanner and print one JSON line per scan')
    .requiredOption('--port <path>', 'serial device path (e.g. /dev/ttyACM0)')
    .option('--baud <n>', 'baud rate', wholeNumber, 9600)
    .addOption(new Option('--terminator <t>', 'line terminator').choices(['any', 'CR', 'LF', 'CRLF']).default('any'))
    .option('--prefix <p>', 'prefix the scanner adds to every scan (stripped)', '')
    .action(async (opts: { port: string; baud: number; terminator: string; prefix: string }, cmd: Command) => {
      const parsed = ScannerSettingsSchema.safeParse({
        path: opts.port,
        baud: opts.baud,
        terminator: opts.terminator,
        prefix: opts.prefix,
      });
      if (!parsed.success) cmd.error(`error: ${zodMessage(parsed.error)}`, { exitCode: 2, code: 'medpos.invalidArgument' });
      const settings = parsed.data!;
      const out = makeJsonWriter();
      const driver = new ScannerDriver(settings);
      driver.on('status', (ev: StatusEvent) => out.write({ kind: 'status', ...ev }));
      driver.on('scan', (ev: ScanEvent) => out.write({ kind: ev.kind, text: ev.text }));

      let stop: () => void = () => {};
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await driver.start();
        await Promise.race([stopped, out.broken]);
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        await driver.close();
      }
      log.info({ port: settings.path }, 'scan stopped');
      process.exitCode = 0;
    });

  const scanner = program.command('scanner').description('scanner tools');
  scanner
    .command('emulate')
    .description('type lines into a serial path like a tester with a real scanner (a virtual scanner)')
    .requiredOption('--port <path>', 'serial path of the scanner end (e.g. the "scanner" link of a socat pty pair)')
    .addOption(new Option('--terminator <t>', 'line terminator to send').choices(['CR', 'LF', 'CRLF']).default('CR'))
    .option('--lines <file>', "file of lines to type, '-' for standard input (default: a built-in demo set)")
    .option('--baud <n>', 'baud rate', wholeNumber, 9600)
    .option('--prefix <p>', 'prefix to put before every line', '')
    .option('--chunks <n>', 'split every line over this many writes', wholeNumber, 1)
    .option('--gap-ms <n>', 'pause between the writes of a split line', wholeNumber, 0)
    .option('--escapes', 'interpret \\xNN, \\r, \\n, \\t and \\\\ in the lines', false)
    .action(
      async (
        opts: { port: string; terminator: string; lines?: string; baud: number; prefix: string; chunks: number; gapMs: number; escapes: boolean },
        cmd: Command,
      ) => {
        const parsed = EmulateOptionsSchema.safeParse({
          port: opts.port,
          terminator: opts.terminator,
          lines: opts.lines,
          baud: opts.baud,
          prefix: opts.prefix,
          chunks: opts.chunks,
          gapMs: opts.gapMs,
          escapes: opts.escapes,
        });
        if (!parsed.success) cmd.error(`error: ${zodMessage(parsed.error)}`, { exitCode: 2, code: 'medpos.invalidArgument' });
        const typed = await runEmulate(parsed.data!);
        process.stdout.write(JSON.stringify({ typed, port: opts.port }) + '\n');
      },
    );
}
