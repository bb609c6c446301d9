/**
 * The `input` of each transaction (settlement.md section 2). Fields medpos needs are checked;
 * the platform's other optional fields are accepted and kept, never required.
 */
import { z } from 'zod';
import { decimal4, nonNegativeYuan, yuan } from '../core/money.ts';

export const MAX_LINES = 1000;

const id = (max = 30) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const opt = (max = 200) => z.string().max(max, `must be at most ${max} characters`).optional();
const flag = z.enum(['0', '1'], { error: 'must be "0" or "1"' });
const certType = z.enum(['01', '02', '03'], { error: 'must be 01 (e-certificate), 02 (ID card) or 03 (social-security card)' });
const insutype = z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype');
const medType = z.string().regex(/^\d{2,6}$/, 'must be a med_type code');
const dateOrTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/, 'must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss')
  .transform((s) => s.slice(0, 10));
const lines = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must have at least one line').max(MAX_LINES, `must have at most ${MAX_LINES} lines`);

const feeLine = {
  feedetl_sn: id(30),
  med_list_codg: id(50),
  medins_list_codg: opt(150),
  det_item_fee_sumamt: yuan,
  cnt: decimal4,
  pric: decimal4,
  hosp_appr_flag: z.enum(['0', '1', '2']).optional(),
  chrg_bchno: opt(30),
  fee_ocur_time: opt(19),
};

const certFields = {
  mdtrt_cert_type: certType,
  mdtrt_cert_no: id(64),
  card_sn: opt(32),
};

export const inputs = {
  '9001': z.looseObject({ signIn: z.looseObject({ opter_no: id(30), mac: opt(30), ip: opt(50) }) }),
  '1101': z.looseObject({
    data: z.looseObject({
      ...certFields,
      begntime: opt(19),
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
        page_num: z.number().int().min(1).optional(),
        page_size: z.number().int().min(1).max(1000).optional(),
      })
      .optional(),
  }),
  '2101': z.looseObject({
    druginfo: z.looseObject({
      psn_no: id(),
      ...certFields,
      begntime: opt(19),
      medfee_sumamt: nonNegativeYuan,
      insutype,
      med_type: medType,
      acct_used_flag: flag,
    }),
    drugdetail: lines(z.looseObject(feeLine)),
  }),
  '2103': z.looseObject({ data: z.looseObject({ setl_id: id(), mdtrt_id: id(), psn_no: id() }) }),
  '2201': z.looseObject({
    data: z.looseObject({
      psn_no: id(),
      insutype,
      begntime: opt(19),
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
  '2601': z.looseObject({
    data: z.looseObject({ psn_no: id(), omsgid: id(30), oinfno: z.enum(['2102', '2103', '2207', '2208'], { error: 'must be 2102, 2103, 2207 or 2208' }) }),
  }),
  '3201': z.looseObject({
    data: z.looseObject({
      insutype,
      clr_type: z.string().regex(/^\d{2}$/, 'must be a 2-digit clr_type'),
      setl_optins: opt(6),
      stmt_begndate: dateOrTime,
      stmt_enddate: dateOrTime,
      medfee_sumamt: yuan,
      fund_pay_sumamt: yuan,
      acct_pay: yuan,
      fixmedins_setl_cnt: z.number().int('must be a whole number').min(0),
      refd_setl_flag: flag.default('1'),
    }),
  }),
  '3202': z.looseObject({
    data: z.looseObject({
      setl_optins: opt(6),
      stmt_begndate: dateOrTime,
      stmt_enddate: dateOrTime,
      details: z
        .array(
          z.looseObject({
            setl_id: id(),
            mdtrt_id: opt(30),
            psn_no: opt(30),
            medfee_sumamt: yuan,
            fund_pay_sumamt: yuan,
            acct_pay: yuan,
            refd_setl_flag: flag.optional(),
          }),
        )
        .max(100_000),
    }),
  }),
} as const;

export type Inputs = { [K in keyof typeof inputs]: z.infer<(typeof inputs)[K]> };
export type FeeLineInput = z.infer<(typeof inputs)['2101']>['drugdetail'][number];
