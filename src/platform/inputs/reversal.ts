/** The wire inputs of 2601. */
import { z } from 'zod';
import { id } from './fields.ts';

export const REVERSAL_INPUTS = {
  '2601': z.looseObject({
    data: z.looseObject({ psn_no: id(), omsgid: id(30), oinfno: z.enum(['2102', '2103', '2207', '2208', '2304', '2305', '2401'], { error: 'must be 2102, 2103, 2207, 2208, 2304, 2305 or 2401' }) }),
  }),
} as const;
