/**
 * The `input` of each transaction (settlement.md section 2) as it travels on the wire (clients.md
 * section 2: amounts as numbers or decimal strings, blank optional fields, the time formats, the
 * upper-case variants). Fields medpos needs are checked; the platform's other optional fields are
 * accepted and kept, never required. `parseInput` validates with these schemas and then normalises
 * (blanks dropped, variant names folded), so the schemas alone say what is accepted.
 */
import { z } from 'zod';
import { Refusal } from '../core/settle.ts';
import { describeZodError } from './envelope.ts';
import { SIGNIN_INPUTS } from './inputs/signin.ts';
import { PERSON_INPUTS } from './inputs/person.ts';
import { PHARMACY_INPUTS } from './inputs/pharmacy.ts';
import { OUTPATIENT_INPUTS } from './inputs/outpatient.ts';
import { REVERSAL_INPUTS } from './inputs/reversal.ts';
import { RECONCILIATION_INPUTS } from './inputs/reconciliation.ts';
import { INPATIENT_INPUTS } from './inputs/inpatient.ts';
import { CHRONIC_INPUTS } from './inputs/chronic.ts';
import { QUERIES_INPUTS } from './inputs/queries.ts';
import { nodeFormsOf } from './inputs/forms.ts';

export { MAX_LINES } from './inputs/fields.ts';

/** Every transaction's input schema, by the key handlers name (one file per chain under ./inputs). */
export const inputs = {
  ...SIGNIN_INPUTS,
  ...PERSON_INPUTS,
  ...PHARMACY_INPUTS,
  ...OUTPATIENT_INPUTS,
  ...INPATIENT_INPUTS,
  ...CHRONIC_INPUTS,
  ...QUERIES_INPUTS,
  ...REVERSAL_INPUTS,
  ...RECONCILIATION_INPUTS,
} as const;

export type InputKey = keyof typeof inputs;
/** A node-variant union (./inputs/forms.ts) reads as its spec form once folded. */
type SpecForm<S> = S extends z.ZodUnion<readonly [infer A extends z.ZodType, ...z.ZodType[]]> ? z.output<A> : z.output<S>;
/** What a handler reads: the wire schema's output, normalised (no blanks; REFD_SETL_FLAG folded into refd_setl_flag, "1" by default on 3201; node variants folded into the spec's node, dscgTime into dscg_time). */
export type Inputs = { [K in InputKey]: SpecForm<(typeof inputs)[K]> };

/** The wire schema of a transaction's input (for `medpos schema`, OpenAPI, and the conformance suite). */
export function wireSchema(key: InputKey): z.ZodType {
  return inputs[key];
}

/** Blank optional fields are absent ones: every "" left after validation is an optional field's. */
function dropBlanks(v: unknown): void {
  if (Array.isArray(v)) for (const x of v) dropBlanks(x);
  else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (o[k] === '') delete o[k];
      else dropBlanks(o[k]);
    }
  }
}

/** REFD_SETL_FLAG (3201/3202's upper-case variant) read as refd_setl_flag. */
function foldRefdFlag(o: { refd_setl_flag?: string; REFD_SETL_FLAG?: string }): void {
  if (o.refd_setl_flag === undefined && o.REFD_SETL_FLAG !== undefined) o.refd_setl_flag = o.REFD_SETL_FLAG;
  delete o.REFD_SETL_FLAG;
}

const NORMALISE: Partial<{ [K in InputKey]: (input: Inputs[K]) => void }> = {
  '3201': (i) => {
    foldRefdFlag(i.data);
    i.data.refd_setl_flag ??= '1';
  },
  '3202': (i) => {
    for (const d of i.data.details) foldRefdFlag(d);
  },
  '2303': (i) => {
    if (i.data.dscg_time === undefined && i.data.dscgTime !== undefined) i.data.dscg_time = i.data.dscgTime;
    delete i.data.dscgTime;
  },
};

/** Validates a transaction's input against its wire schema, then normalises it; a refusal names the field. */
export function parseInput<K extends InputKey>(key: K, raw: unknown): Inputs[K] {
  const forms = nodeFormsOf(inputs[key]);
  const form = forms?.form(raw);
  if (form === 'both') throw new Refusal('malformed_input', forms!.bothMessage);
  // a node-variant input is checked against the form its keys choose, so a refusal names the field
  const r = (forms && form ? forms.schema(form) : inputs[key]).safeParse(raw);
  if (!r.success) throw new Refusal('malformed_input', describeZodError(r.error, 'input'));
  const value = r.data as Inputs[K];
  if (forms && form) forms.fold(value as Record<string, unknown>, form);
  dropBlanks(value);
  (NORMALISE[key] as ((i: Inputs[K]) => void) | undefined)?.(value);
  return value;
}
export type FeeLineInput = z.infer<(typeof inputs)['2101']>['drugdetail'][number];
