/** `medpos init`, `call`, `world check`, `replay`. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { clockFromEnv } from '../core/clock.ts';
import { formatProblem, WorldError } from '../core/world.ts';
import { checkWorldDir, initDatabase, openPlatform, fillEnvelope, UsageError } from '../app.ts';
import { issueEcert } from '../platform/ecert.ts';
import { Refusal } from '../core/settle.ts';

export const dbOption = () => new Option('--db <file|url>', 'the ledger: a SQLite file or a postgres:// URL (default: $MEDPOS_DB, then ./medpos.db)');

export function dbPath(opt: string | undefined): string {
  return opt ?? process.env.MEDPOS_DB ?? './medpos.db';
}

function infnoArg(v: string): string {
  if (!/^(\d{4}[A-Z]?|ec\.query)$/.test(v)) throw new InvalidArgumentError('must be a transaction code such as 2207 (or ec.query)');
  return v;
}

function positiveInt(v: string): number {
  if (!/^[1-9]\d{0,6}$/.test(v)) throw new InvalidArgumentError('must be a whole number of seconds');
  return Number(v);
}

function readInput(file: string | undefined): string {
  try {
    return readFileSync(file ?? 0, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file ?? 'standard input'}: ${(err as Error).message}`);
  }
}

export function registerCoreCommands(program: Command): void {
  program
    .command('init')
    .description('create a ledger database and load a world into it')
    .addOption(dbOption())
    .requiredOption('--world <dir>', 'the world directory (medpos-world/1)')
    .option('--reset', 'replace a database that already holds settlements')
    .action(async (opts: { db?: string; world: string; reset?: boolean }) => {
      const summary = await initDatabase(dbPath(opts.db), opts.world, clockFromEnv(), Boolean(opts.reset));
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });

  program
    .command('call')
    .description('run one platform transaction; prints the response envelope')
    .argument('<infno>', 'the transaction code, e.g. 2207', infnoArg)
    .addOption(dbOption())
    .option('--input <file>', 'the request: a whole envelope or only its input object (default: standard input)')
    .option('--fixmedins-code <code>', 'the institution, when the input has no envelope (default: $MEDPOS_FIXMEDINS_CODE, then the first designated one of the right kind)')
    .action(async (infno: string, opts: { db?: string; input?: string; fixmedinsCode?: string }) => {
      const text = readInput(opts.input);
      const { platform, close } = await openPlatform(dbPath(opts.db), clockFromEnv());
      try {
        const filled = fillEnvelope(platform, infno, text, opts.fixmedinsCode ?? process.env.MEDPOS_FIXMEDINS_CODE);
        const response = await platform.call(filled.request, { fillMsgid: filled.filled });
        process.stdout.write(`${JSON.stringify(response)}\n`);
        process.exitCode = response.infcode === 0 ? 0 : 1;
      } finally {
        await close();
      }
    });

  program
    .command('ecert')
    .description('e-certificates of the simulated platform')
    .command('issue')
    .description("issue a person's e-certificate code (printed on the last line), optionally as a QR image")
    .addOption(dbOption())
    .requiredOption('--psn <psn_no>', 'the person')
    .option('--ttl <seconds>', "the code's life (default: the world's ecert_ttl_s)", positiveInt)
    .option('--png <file>', 'also write the code as a QR image')
    .action(async (opts: { db?: string; psn: string; ttl?: number; png?: string }) => {
      const { ledger, close } = await openPlatform(dbPath(opts.db), clockFromEnv());
      try {
        const code = await issueEcert(ledger, clockFromEnv(), opts.psn, opts.ttl);
        if (opts.png) await (await import('qrcode')).default.toFile(opts.png, code, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 6 });
        process.stdout.write(`${code}\n`);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        process.stderr.write(`medpos: ${err.message}\n`);
        process.exitCode = 1;
      } finally {
        await close();
      }
    });

  program
    .command('audit')
    .description('ledger audits')
    .command('verify')
    .description('check the hash chain of settlement records; exits 1 naming the first record changed, deleted or reordered')
    .addOption(dbOption())
    .action(async (opts: { db?: string }) => {
      const { ledger, close } = await openPlatform(dbPath(opts.db), clockFromEnv());
      try {
        const result = await ledger.verifyChain();
        process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.ok) {
          process.stderr.write(`medpos: ledger chain broken at ${result.setl_id ?? 'the end'}${result.seq === null ? '' : ` (record ${result.seq})`}: ${result.problem}\n`);
          process.exitCode = 1;
        }
      } finally {
        await close();
      }
    });

  const world = program.command('world').description('world fixtures');
  world
    .command('check')
    .description('validate a world directory and list every problem')
    .argument('<dir>')
    .action((dir: string) => {
      try {
        const w = checkWorldDir(dir);
        process.stdout.write(
          `ok: ${w.world.institutions.length} institutions, ${w.catalog.length} catalog items, ${w.persons.length} persons, ${w.cards.length} cards\n`,
        );
      } catch (err) {
        if (!(err instanceof WorldError)) throw err;
        for (const p of err.problems) process.stdout.write(`${formatProblem(p)}\n`);
        process.stderr.write(`medpos: ${err.problems.length} problem(s) in ${dir}\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('replay')
    .description('run scenario files (or every *.json in a directory) and report what differs')
    .argument('<paths...>')
    .action(async (paths: string[]) => {
      const { replayFiles } = await import('./replay-progress.ts'); // loads the device drivers: only for replay
      const { passed, failed } = await replayFiles(paths, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(`${passed} passed, ${failed} failed\n`);
      process.exitCode = failed === 0 ? 0 : 1;
    });
}
