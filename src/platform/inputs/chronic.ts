/** The wire inputs of the chronic-disease filings (2503, 2504, 5301), inpatient.md section 7. */
import { z } from 'zod';
import { isRealDate } from '../../core/world-fields.ts';
import { blankable, id, insutype, opt } from './fields.ts';

const REAL_DAY =
  '(\\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])|(0[469]|11)-(0[1-9]|[12]\\d|30)|02-(0[1-9]|1\\d|2[0-8]))' +
  '|(\\d{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)';

/** A filing's date: as clients send dates or times, kept as yyyy-MM-dd (a time part says nothing more). */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,3})?)?$/, { error: 'must be yyyy-MM-dd, yyyy-MM-dd HH:mm:ss or yyyy-MM-ddTHH:mm:ss', abort: true })
  .refine((s) => isRealDate(s.slice(0, 10)), 'is not a real date')
  .overwrite((s) => s.slice(0, 10))
  // the refine does not reach the generated JSON Schema: this pattern says the same (month lengths, leap years)
  .meta({ pattern: `^${REAL_DAY}([ T]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?)?$` });

export const CHRONIC_INPUTS = {
  '2503': z.looseObject({
    data: z.looseObject({ psn_no: id(), insutype, opsp_dise_code: id(30), opsp_dise_name: opt(300), begndate: day, enddate: blankable(day) }),
  }),
  '2504': z.looseObject({ data: z.looseObject({ psn_no: id(), trt_dcla_detl_sn: id(30) }) }),
  '5301': z.looseObject({ data: z.looseObject({ psn_no: id() }) }),
} as const;
