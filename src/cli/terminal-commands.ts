/**
 * `medpos terminal`: the cashier terminal (src/terminal). Prints its URL on standard output once
 * listening; logs on standard error; runs until SIGINT or SIGTERM, then releases every device.
 */
import type { Command } from 'commander';
import { startTerminal } from '../terminal/server.ts';
import { untilSignalled } from './until-signalled.ts';

interface Flags {
  db: string;
  platform?: string;
  till?: string;
  world?: string;
  port: string;
  host: string;
  institution?: string;
  reader?: string;
  scanner?: string;
  scannerFeed?: string;
  terminalId: string;
  tester?: boolean;
  auth?: string;
  insecure?: boolean;
  basePath?: string;
  allowOrigin: string[];
}

export function registerTerminalCommands(program: Command): void {
  program
    .command('terminal')
    .description('the cashier terminal: the page, its devices, and the transaction interface over HTTP')
    .option('--db <file|url>', 'the ledger: a SQLite file (created from --world when it does not exist) or a postgres:// URL', 'medpos.db')
    .option('--platform <url>', "settle on the platform at this base URL (http://host:port) over HTTP, with no ledger here; needs --till and --world")
    .option('--till <file>', "the terminal's own records (sales, tenders, prices), a SQLite file (default: the --db file when that is SQLite)")
    .option('--world <dir>', 'a world directory, loaded when the database is new')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--institution <code>', 'fixmedins_code of this terminal (default: the first designated pharmacy)')
    .option('--reader <name>', 'PC/SC reader to use (exact name or part of it; default the first)')
    .option('--scanner <path>', 'serial scanner device, or "pty" for a socat pseudo-terminal the virtual scanner types into')
    .option('--scanner-feed <path>', "the scanner pty's device end, where the virtual scanner types (with --scanner PATH)")
    .option('--terminal-id <id>', 'this terminal\'s id', 'T01')
    .option('--tester', 'tester mode: a clock the tester can move (starts at MEDPOS_NOW or now); loopback only')
    .option('--auth <file>', 'credentials file: every gateway request must be signed (TIF or CSB)')
    .option('--insecure', 'listen on a non-loopback address without --auth (unsigned gateway requests)')
    .option('--base-path <path>', 'answer the gateway at this path too (and at PATH/{infno})')
    .option('--allow-origin <origin>', 'a browser origin allowed to call medpos (repeatable, or a comma list)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (f: Flags) => {
      const running = await startTerminal({
        db: f.db,
        platform: f.platform,
        till: f.till,
        world: f.world,
        port: f.port as unknown as number,
        host: f.host,
        institution: f.institution,
        reader: f.reader,
        scanner: f.scanner,
        scannerFeed: f.scannerFeed,
        terminalId: f.terminalId,
        tester: f.tester === true,
        auth: f.auth,
        insecure: f.insecure === true,
        basePath: f.basePath,
        allowOrigin: f.allowOrigin,
      });
      process.stdout.write(`${running.url}\n`);
      await untilSignalled('terminal', running);
    });
}
