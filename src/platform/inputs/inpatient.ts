/** The wire inputs of the inpatient chain (inpatient.md section 3: 2401-2405, 2301-2305). */
import { z } from 'zod';
import { certFields, decimal4, flag, id, insutype, lines, medType, nonNegativeYuan, opt, time, yuan } from './fields.ts';
import { withNodeVariant } from './forms.ts';

/** A time the call cannot do without (2401 begntime, 2402 endtime), in the forms `time` takes. */
const requiredTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,3})?)?$/, 'must be yyyy-MM-dd HH:mm:ss, yyyy-MM-ddTHH:mm:ss or yyyy-MM-dd')
  .overwrite((s) => (s.length === 10 ? s : `${s.slice(0, 10)} ${s.slice(11, 19)}`));

const diseinfo = z.array(z.looseObject({})).max(100).optional();
const visitRef = z.looseObject({ mdtrt_id: id(), psn_no: id() });

export const INPATIENT_INPUTS = {
  '2401': z.looseObject({
    mdtrtinfo: z.looseObject({
      psn_no: id(),
      insutype,
      begntime: requiredTime,
      ...certFields,
      med_type: medType,
      ipt_no: id(30),
      dise_codg: opt(30),
      dise_name: opt(300),
    }),
    diseinfo,
  }),
  // clients.md section 2: one family sends mdtrtinfo for adminfo/dscginfo, and the data inputs bare
  '2403': withNodeVariant(
    z.looseObject({
      adminfo: z.looseObject({ mdtrt_id: id(), psn_no: id(), med_type: medType.optional(), begntime: time, dise_codg: opt(30), dise_name: opt(300) }),
      diseinfo,
    }),
    'adminfo',
    'mdtrtinfo',
  ),
  '2404': withNodeVariant(z.looseObject({ data: visitRef }), 'data', null),
  '2405': withNodeVariant(z.looseObject({ data: visitRef }), 'data', null),
  '2301': z.looseObject({
    feedetail: lines(
      z.looseObject({
        feedetl_sn: id(30),
        init_feedetl_sn: opt(30),
        mdtrt_id: id(),
        psn_no: id(),
        med_list_codg: id(50),
        medins_list_codg: opt(150),
        det_item_fee_sumamt: yuan,
        cnt: decimal4,
        pric: decimal4,
        fee_ocur_time: time,
        hosp_appr_flag: z.union([z.literal(''), z.enum(['0', '1', '2'])], { error: 'must be "0", "1" or "2"' }).optional(),
        chrg_bchno: opt(30),
      }),
    ),
  }),
  '2302': withNodeVariant(z.looseObject({ data: z.looseObject({ mdtrt_id: id(), psn_no: id(), feedetl_sn: id(30) }) }), 'data', null),
  '2402': withNodeVariant(
    z.looseObject({
      dscginfo: z.looseObject({ mdtrt_id: id(), psn_no: id(), endtime: requiredTime, insutype: insutype.optional(), dscg_way: opt(6), dise_codg: opt(30), dise_name: opt(300) }),
      diseinfo,
    }),
    'dscginfo',
    'mdtrtinfo',
  ),
  // 2303 and 2304 (the same input); dscgTime is one family's name for dscg_time
  '2303': withNodeVariant(
    z.looseObject({
      data: z.looseObject({
        psn_no: id(),
        ...certFields,
        medfee_sumamt: nonNegativeYuan,
        mdtrt_id: id(),
        insutype,
        acct_used_flag: flag,
        mid_setl_flag: flag,
        psn_setlway: opt(3),
        dscg_time: time,
        dscgTime: time,
      }),
    }),
    'data',
    null,
  ),
  '2305': withNodeVariant(z.looseObject({ data: z.looseObject({ mdtrt_id: id(), setl_id: id(), psn_no: id() }) }), 'data', null),
} as const;
