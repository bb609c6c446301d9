/** `medpos schema [INFNO]`: the JSON Schema of a transaction's wire input (or output), or the list of transactions. */
import type { Command } from 'commander';
import { UsageError } from '../app.ts';

export function registerSchemaCommands(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema (draft 2020-12) of a transaction\'s input as sent on the wire; with no code, list the transactions')
    .argument('[infno]', 'the transaction code, e.g. 2207')
    .option('--output', 'the schema of the transaction\'s output instead of its input')
    .action(async (infno: string | undefined, opts: { output?: boolean }) => {
      const { inputJsonSchema, isTransaction, outputJsonSchema, transactionList } = await import('../platform/schemas.ts');
      if (infno === undefined) {
        // one transaction a line; a second column names the input schema a transaction shares with another
        for (const t of transactionList()) process.stdout.write(t.input === t.infno ? `${t.infno}\n` : `${t.infno}\t(input of ${t.input})\n`);
        return;
      }
      if (!isTransaction(infno)) throw new UsageError(`no transaction ${infno.slice(0, 20)}: \`medpos schema\` lists them`);
      const schema = opts.output ? outputJsonSchema(infno) : inputJsonSchema(infno);
      process.stdout.write(`${JSON.stringify({ ...schema, title: `${infno} ${opts.output ? 'output' : 'input'}` }, null, 2)}\n`);
    });
}
