/**
 * JSON Schemas (draft 2020-12) generated from the zod schemas themselves: a transaction's input as it
 * travels on the wire (the validators of inputs.ts, before `parseInput` normalises) and its output
 * (output-schemas.ts). Transactions come from the handler registry, so a new one is described at once.
 */
import { z } from 'zod';
import { wireSchema } from './inputs.ts';
import { outputSchema } from './output-schemas.ts';
import { INPUT_OF } from './transactions.ts';

export type JsonSchema = Record<string, unknown>;

/** Every transaction the platform answers, in code order, with the input schema it reads. */
export function transactionList(): { infno: string; input: string }[] {
  return Object.entries(INPUT_OF)
    .map(([infno, input]) => ({ infno, input: input as string }))
    .sort((a, b) => a.infno.localeCompare(b.infno));
}

export function isTransaction(infno: string): infno is keyof typeof INPUT_OF {
  return Object.hasOwn(INPUT_OF, infno);
}

/** The wire input's JSON Schema of `infno` (a transaction of `transactionList`). */
export function inputJsonSchema(infno: keyof typeof INPUT_OF): JsonSchema {
  return z.toJSONSchema(wireSchema(INPUT_OF[infno]), { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
}

/** The output's JSON Schema of `infno` on success. */
export function outputJsonSchema(infno: string): JsonSchema {
  return z.toJSONSchema(outputSchema(infno), { io: 'output', target: 'draft-2020-12' }) as JsonSchema;
}
