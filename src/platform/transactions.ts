/**
 * The platform's transactions (settlement.md section 2, inpatient.md section 3), one registry
 * assembled from the chains in ./chains: each infno, the input schema it reads, and its handler,
 * which runs inside one ledger transaction.
 */
import { CHRONIC } from './chains/chronic.ts';
import { INPATIENT_ADMISSION } from './chains/inpatient/admission.ts';
import { INPATIENT_DISCHARGE } from './chains/inpatient/discharge.ts';
import { INPATIENT_FEES } from './chains/inpatient/fees.ts';
import { INPATIENT_SETTLEMENT } from './chains/inpatient/settlement.ts';
import { OUTPATIENT } from './chains/outpatient.ts';
import { PERSON } from './chains/person.ts';
import { PHARMACY } from './chains/pharmacy.ts';
import { QUERIES } from './chains/queries.ts';
import { RECONCILIATION } from './chains/reconciliation.ts';
import { REVERSAL } from './chains/reversal.ts';
import type { Ctx, Transaction } from './chains/shared.ts';
import { SIGNIN } from './chains/signin.ts';
import type { InputKey } from './inputs.ts';

export type { Ctx } from './chains/shared.ts';

const CHAINS = {
  ...SIGNIN,
  ...PERSON,
  ...PHARMACY,
  ...OUTPATIENT,
  ...INPATIENT_ADMISSION,
  ...INPATIENT_FEES,
  ...INPATIENT_DISCHARGE,
  ...INPATIENT_SETTLEMENT,
  ...CHRONIC,
  ...QUERIES,
  ...REVERSAL,
  ...RECONCILIATION,
};

const PARTS = [SIGNIN, PERSON, PHARMACY, OUTPATIENT, INPATIENT_ADMISSION, INPATIENT_FEES, INPATIENT_DISCHARGE, INPATIENT_SETTLEMENT, CHRONIC, QUERIES, REVERSAL, RECONCILIATION];
// a spread silently keeps the last of two entries for one infno: two chains claiming it is a mistake
if (PARTS.reduce((n: number, c) => n + Object.keys(c).length, 0) !== Object.keys(CHAINS).length) throw new Error('two chains define the same infno');

type Infno = keyof typeof CHAINS;
const entries = Object.entries(CHAINS) as [Infno, Transaction][];

/** Each transaction code and what it does. */
export const HANDLERS = Object.fromEntries(entries.map(([k, t]) => [k, t.run])) as Record<Infno, (ctx: Ctx, input: never) => Promise<unknown>>;

/** Each transaction code and the input schema it reads. */
export const INPUT_OF = Object.fromEntries(entries.map(([k, t]) => [k, t.input])) as Record<Infno, InputKey>;
