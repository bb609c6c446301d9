/** The wire inputs of 9001. */
import { z } from 'zod';
import { id, opt } from './fields.ts';

export const SIGNIN_INPUTS = {
  '9001': z.looseObject({ signIn: z.looseObject({ opter_no: id(30), mac: opt(30), ip: opt(50) }) }),
} as const;
