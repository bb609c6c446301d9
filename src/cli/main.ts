import { Command, CommanderError } from 'commander';
import { registerCoreCommands } from './core-commands.ts';
import { UsageError } from '../app.ts';
import { WorldError } from '../core/world.ts';
import { registerScannerCommands } from './scanner-commands.ts';
import { registerCardCommands } from './card-commands.ts';
import { registerTerminalCommands } from './terminal-commands.ts';

/** Usage errors exit 2; a command's own failure sets its exit code itself. */
const program = new Command()
  .name('medpos')
  .description('Point-of-sale settlement simulator for China basic medical insurance')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

registerCoreCommands(program);
registerScannerCommands(program);
registerCardCommands(program);
registerTerminalCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
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
