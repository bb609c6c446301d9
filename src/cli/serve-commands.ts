/**
 * `medpos serve`: the platform server (src/platform/serve.ts). Prints its base URL on standard output
 * once listening; logs on standard error; on SIGINT or SIGTERM finishes the requests in flight, seals
 * the hash chain and exits.
 */
import type { Command } from 'commander';
import { startServer } from '../platform/serve.ts';
import { dbOption, dbPath } from './core-commands.ts';
import { untilSignalled } from './until-signalled.ts';

interface Flags {
  db?: string;
  world?: string;
  port: string;
  host: string;
  auth?: string;
  insecure?: boolean;
  basePath?: string;
  allowOrigin: string[];
  pool: string;
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('the platform alone over HTTP: the transaction interface and /health, for HIS servers and remote terminals')
    .addOption(dbOption())
    .option('--world <dir>', 'a world directory, loaded when the database holds none')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--auth <file>', 'credentials file: every gateway request must be signed (TIF or CSB)')
    .option('--insecure', 'listen on a non-loopback address without --auth (unsigned gateway requests)')
    .option('--base-path <path>', 'answer the gateway at this path too (and at PATH/{infno})')
    .option('--allow-origin <origin>', 'a browser origin allowed to call medpos (repeatable, or a comma list)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--pool <n>', 'PostgreSQL connections this server holds', '16')
    .action(async (f: Flags) => {
      const running = await startServer({
        db: dbPath(f.db),
        world: f.world,
        port: f.port as unknown as number,
        host: f.host,
        auth: f.auth,
        insecure: f.insecure === true,
        basePath: f.basePath,
        allowOrigin: f.allowOrigin,
        pool: f.pool as unknown as number,
      });
      process.stdout.write(`${running.url}\n`);
      await untilSignalled('serve', running);
    });
}
