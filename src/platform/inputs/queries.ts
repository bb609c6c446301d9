/** The wire inputs of eligibility and the queries (2001, 52xx), inpatient.md section 8. */
import { z } from 'zod';
import { blankable, id, insutype, medType, opt, time } from './fields.ts';

export const QUERIES_INPUTS = {
  '2001': z.looseObject({ data: z.looseObject({ psn_no: id(), insutype, med_type: medType, begntime: time, dise_codg: opt(30) }) }),
  '5201': z.looseObject({ data: z.looseObject({ psn_no: id(), mdtrt_id: opt(30), med_type: blankable(medType), begntime: time, endtime: time }) }),
  '5203': z.looseObject({ data: z.looseObject({ psn_no: id(), setl_id: id(), mdtrt_id: opt(30) }) }),
  '5204': z.looseObject({ data: z.looseObject({ psn_no: id(), mdtrt_id: id(), setl_id: opt(30) }) }),
  '5206': z.looseObject({ data: z.looseObject({ psn_no: id(), cum_ym: blankable(z.string().regex(/^\d{4}(0[1-9]|1[0-2])$/, 'must be yyyyMM')) }) }),
} as const;
