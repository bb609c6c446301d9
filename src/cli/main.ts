/**
 * The `medpos` command line. Each command loads only its own module (no HTTP server, PC/SC, serial
 * port or QR library for `medpos call`), so a scripted call starts about as fast as node itself.
 * `medpos --help` prints the listing written at build time (dist/cli-help.txt, generated from these
 * same command definitions) when there is one, and otherwise loads every command to build it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';

type Register = (program: Command) => void;

/** Where each top-level command is defined. A command missing here still works: every module is loaded. */
const COMMAND_MODULES: Record<string, () => Promise<Register>> = {
  init: async () => (await import('./core-commands.ts')).registerCoreCommands,
  call: async () => (await import('./core-commands.ts')).registerCoreCommands,
  ecert: async () => (await import('./core-commands.ts')).registerCoreCommands,
  audit: async () => (await import('./core-commands.ts')).registerCoreCommands,
  world: async () => (await import('./core-commands.ts')).registerCoreCommands,
  replay: async () => (await import('./core-commands.ts')).registerCoreCommands,
  scan: async () => (await import('./scanner-commands.ts')).registerScannerCommands,
  scanner: async () => (await import('./scanner-commands.ts')).registerScannerCommands,
  card: async () => (await import('./card-commands.ts')).registerCardCommands,
  terminal: async () => (await import('./terminal-commands.ts')).registerTerminalCommands,
  serve: async () => (await import('./serve-commands.ts')).registerServeCommands,
  schema: async () => (await import('./schema-commands.ts')).registerSchemaCommands,
};

/** Every command, in the order of the help listing. */
async function allRegisters(): Promise<Register[]> {
  return [
    (await import('./core-commands.ts')).registerCoreCommands,
    (await import('./scanner-commands.ts')).registerScannerCommands,
    (await import('./card-commands.ts')).registerCardCommands,
    (await import('./terminal-commands.ts')).registerTerminalCommands,
    (await import('./serve-commands.ts')).registerServeCommands,
    (await import('./schema-commands.ts')).registerSchemaCommands,
  ];
}

const HELP_FILE = new URL('../../cli-help.txt', import.meta.url);
const args = process.argv.slice(2);
const helpOnly = args.length === 1 && ['--help', '-h', 'help'].includes(args[0]!);

async function run(): Promise<void> {
  if (helpOnly && process.env.MEDPOS_HELP_LIVE !== '1' && existsSync(HELP_FILE)) {
    process.stdout.write(readFileSync(HELP_FILE, 'utf8'));
    return;
  }
  const { Command } = await import('commander');
  const program = new Command()
    .name('medpos')
    .description('Point-of-sale settlement simulator for China basic medical insurance')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  const one = args[0] !== undefined ? COMMAND_MODULES[args[0]] : undefined;
  for (const register of one ? [await one()] : await allRegisters()) register(program);
  await program.parseAsync(process.argv);
}

try {
  await run();
} catch (err) {
  // Loaded only on failure: the error classes live in modules a fast command may not need.
  const { CommanderError } = await import('commander');
  const { UsageError } = await import('../app.ts');
  const { WorldError } = await import('../core/world.ts');
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UsageError) {
    process.stderr.write(`medpos: ${err.message}\n`);
    process.exitCode = 2;
  } else if (err instanceof WorldError) {
    process.stderr.write(`medpos: the world has ${err.problems.length} problem(s):\n${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`medpos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
