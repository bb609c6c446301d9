/** The wire inputs of 1101, 1312. */
import { z } from 'zod';
import { certFields, blankable, count, opt, time } from './fields.ts';

export const PERSON_INPUTS = {
  '1101': z.looseObject({
    data: z.looseObject({
      ...certFields,
      begntime: time,
      psn_cert_type: opt(6),
      certno: opt(50),
      psn_name: opt(50),
    }),
  }),
  '1312': z.looseObject({
    data: z
      .looseObject({
        hilist_code: opt(50),
        hilist_name: opt(200),
        insu_admdvs: opt(6),
        page_num: blankable(count(1, 1e9, 'must be at least 1', '^(?=\\d{1,9}(\\.0*)?$)0*[1-9]\\d*(\\.0*)?$')),
        page_size: blankable(count(1, 1000, 'must be from 1 to 1000', '^(?=\\d{1,9}(\\.0*)?$)0*(1000|[1-9]\\d{0,2})(\\.0*)?$')),
      })
      .optional(),
  }),
} as const;
