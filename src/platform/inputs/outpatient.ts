/** The wire inputs of the outpatient chain (2201-2208). */
import { z } from 'zod';
import { feeLine, certFields, flag, id, insutype, lines, medType, nonNegativeYuan, opt, time } from './fields.ts';

export const OUTPATIENT_INPUTS = {
  '2201': z.looseObject({
    data: z.looseObject({
      psn_no: id(),
      insutype,
      begntime: time,
      ...certFields,
      ipt_otp_no: id(30),
    }),
  }),
  '2202': z.looseObject({ data: z.looseObject({ psn_no: id(), mdtrt_id: id(), ipt_otp_no: opt(30) }) }),
  '2203': z.looseObject({
    mdtrtinfo: z.looseObject({ mdtrt_id: id(), psn_no: id(), med_type: medType, dise_codg: opt(30), dise_name: opt(300) }),
    diseinfo: z.array(z.looseObject({})).max(100).optional(),
  }),
  '2204': z.looseObject({
    feedetail: lines(z.looseObject({ ...feeLine, mdtrt_id: id(), psn_no: id() })),
  }),
  '2205': z.looseObject({ data: z.looseObject({ mdtrt_id: id(), chrg_bchno: opt(30), psn_no: id() }) }),
  '2206': z.looseObject({
    data: z.looseObject({
      psn_no: id(),
      ...certFields,
      med_type: medType,
      medfee_sumamt: nonNegativeYuan,
      psn_setlway: opt(3),
      mdtrt_id: id(),
      chrg_bchno: opt(30),
      acct_used_flag: flag,
      insutype,
    }),
  }),
} as const;
