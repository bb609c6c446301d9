/** The wire inputs of 3201, 3202. */
import { z } from 'zod';
import { blankable, count, dateOrTime, flag, id, insutype, opt, yuan } from './fields.ts';

export const RECONCILIATION_INPUTS = {
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
      fixmedins_setl_cnt: count(0, 1e9, 'must not be negative', '^(-(?=0+(\\.0*)?$))?\\d{1,9}(\\.0*)?$'),
      refd_setl_flag: blankable(flag),
      REFD_SETL_FLAG: blankable(flag),
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
            refd_setl_flag: blankable(flag),
            REFD_SETL_FLAG: blankable(flag),
          }),
        )
        .max(100_000),
    }),
  }),
} as const;
