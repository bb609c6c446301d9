/** The wire inputs of the pharmacy chain (2101/2102, 2103). */
import { z } from 'zod';
import { certFields, feeLine, flag, id, insutype, lines, medType, nonNegativeYuan, time } from './fields.ts';

export const PHARMACY_INPUTS = {
  '2101': z.looseObject({
    druginfo: z.looseObject({
      psn_no: id(),
      ...certFields,
      begntime: time,
      medfee_sumamt: nonNegativeYuan,
      insutype,
      med_type: medType,
      acct_used_flag: flag,
    }),
    drugdetail: lines(z.looseObject(feeLine)),
  }),
  '2103': z.looseObject({ data: z.looseObject({ setl_id: id(), mdtrt_id: id(), psn_no: id() }) }),
} as const;
