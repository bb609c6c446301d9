/**
 * What each transaction answers in `output`, as zod schemas of the shapes the builders in outputs.ts
 * and transactions.ts return (clients.md section 1): for the OpenAPI description, and checked against
 * real answers by tests/platform/schemas.test.ts so that the description cannot drift from the code.
 * Objects are loose: an answer may carry more than is listed, never less.
 */
import { z } from 'zod';

const yuan = z.number().meta({ description: 'yuan, at most two decimals' });
const code = z.string();
const flag = z.enum(['0', '1']);

const lineResult = z.looseObject({
  feedetl_sn: code,
  det_item_fee_sumamt: yuan,
  cnt: z.number(),
  pric: z.number(),
  pric_uplmt_amt: yuan.nullable(),
  selfpay_prop: z.number(),
  fulamt_ownpay_amt: yuan,
  overlmt_amt: yuan,
  preselfpay_amt: yuan,
  inscp_scp_amt: yuan,
  chrgitm_lv: code,
  lmt_used_flag: code,
  med_chrgitm_type: code,
  bas_medn_flag: code,
  hi_nego_drug_flag: code,
  chld_medc_flag: code,
  list_sp_item_flag: code,
  drt_reim_flag: code,
  memo: z.string(),
});

const setldetail = z.array(
  z.looseObject({
    fund_pay_type: code,
    inscp_scp_amt: yuan,
    crt_payb_lmt_amt: yuan.nullable(),
    fund_payamt: yuan,
    fund_pay_type_name: z.string(),
    setl_proc_info: z.string(),
  }),
);

const setlinfo = z.looseObject({
  setl_id: code.nullable().meta({ description: 'null on a trial (2101, 2206)' }),
  init_setl_id: code.optional().meta({ description: 'on a cancellation or reversal: the settlement it undoes' }),
  mdtrt_id: code.nullable(),
  psn_no: code,
  psn_name: z.string(),
  psn_cert_type: code,
  certno: code,
  gend: code,
  naty: code,
  brdy: code,
  age: z.number(),
  insutype: code,
  psn_type: code,
  cvlserv_flag: code,
  setl_time: code,
  mdtrt_cert_type: code,
  med_type: code,
  medfee_sumamt: yuan,
  fulamt_ownpay_amt: yuan,
  overlmt_selfpay: yuan,
  preselfpay_amt: yuan,
  inscp_scp_amt: yuan,
  act_pay_dedc: yuan,
  hifp_pay: yuan,
  fund_pay_sumamt: yuan,
  psn_part_amt: yuan,
  acct_pay: yuan,
  acct_mulaid_pay: yuan,
  psn_cash_pay: yuan,
  pdn_cash_pay: yuan.optional().meta({ description: 'on cancellations: the interface’s own spelling of psn_cash_pay' }),
  pool_prop_selfpay: z.number(),
  cvlserv_pay: yuan,
  hifes_pay: yuan,
  hifmi_pay: yuan,
  hifob_pay: yuan,
  hifdm_pay: yuan,
  maf_pay: yuan,
  oth_pay: yuan,
  hosp_part_amt: yuan,
  balc: yuan,
  medins_setl_id: code,
  clr_optins: code,
  clr_way: code,
  clr_type: code,
  refd_setl_flag: flag.optional(),
  mid_setl_flag: flag.optional().meta({ description: 'inpatient settlements only: 1 mid-stay, 0 final' }),
});

const settlement = z.looseObject({ setlinfo, setldetail });
const pharmacySettlement = z.looseObject({ setlinfo, setldetail, detlcutinfo: z.array(lineResult) });
const nothing = z.looseObject({});

// --- inpatient chain (inpatient.md sections 2 to 5) ---------------------------------------------------------

const inpatientSettlement = z.looseObject({
  setlinfo: setlinfo.extend({ mid_setl_flag: flag.meta({ description: '1 mid-stay, 0 final' }) }),
  setldetail,
});

// --- chronic filings and queries (inpatient.md sections 7 and 8) ----------------------------------------------

const filing = z.looseObject({
  trt_dcla_detl_sn: code,
  insutype: code,
  opsp_dise_code: code,
  opsp_dise_name: z.string().meta({ description: 'empty when neither the filing nor the policy names the disease' }),
  begndate: code,
  enddate: code.nullable().meta({ description: 'null: open-ended' }),
});

const trtinfo = z.looseObject({
  psn_no: code,
  fund_pay_type: code,
  trt_enjymnt_flag: flag.meta({ description: '1 the person enjoys this fund, 0 not' }),
  trt_chk_rslt: z.string().nullable().meta({ description: 'why not, when trt_enjymnt_flag is 0; else null' }),
});

const visitRow = z.looseObject({
  mdtrt_id: code,
  psn_no: code,
  insutype: code,
  med_type: code.nullable(),
  begntime: code,
  endtime: code.nullable(),
  ipt_otp_no: code.nullable(),
  inhosp_stas: z.enum(['1', '2', '3', '9']).nullable().meta({ description: 'inpatient visits: 1 admitted, 2 discharged, 3 settled, 9 cancelled; null on outpatient visits' }),
  dise_codg: code.nullable(),
});

const stayLine = lineResult.extend({
  med_list_codg: code,
  init_feedetl_sn: code.nullable().meta({ description: 'on a refund line: the line it refunds' }),
  fee_ocur_time: code.nullable(),
  setl_id: code.nullable().meta({ description: 'the settlement covering the line now; null while unsettled' }),
});

const counter = z.looseObject({
  insutype: code,
  year: z.string().regex(/^\d{4}$/),
  cum_type_code: code.meta({ description: 'the counter’s name (inpatient.md section 6), e.g. ipt_fund_used' }),
  cum: z.number().meta({ description: 'yuan; a count for ipt_cnt' }),
  opsp_dise_code: code.optional().meta({ description: 'on the chronic counters: the disease' }),
});

const person = z.looseObject({
  baseinfo: z.looseObject({ psn_no: code, psn_cert_type: code, certno: code, psn_name: z.string(), gend: code, naty: code, brdy: code, age: z.number() }),
  insuinfo: z.array(
    z.looseObject({
      insutype: code,
      psn_type: code,
      psn_insu_stas: code,
      insuplc_admdvs: code,
      balc: yuan,
      emp_name: z.string(),
      cvlserv_flag: code,
      psn_insu_date: code.nullable(),
      paus_insu_date: code.nullable(),
    }),
  ),
  idetinfo: z.array(z.looseObject({ psn_idet_type: code, psn_type_lv: z.string(), memo: z.string(), begntime: code, endtime: code.nullable() })),
});

const reconciled = z.looseObject({
  setl_id: code,
  mdtrt_id: code.nullable(),
  psn_no: code.nullable(),
  stmt_rslt: z.enum(['0', '1', '2', '3']).meta({ description: '0 agrees, 1 differs, 2 unknown to the platform, 3 missing from the request' }),
  medfee_sumamt: yuan.nullable(),
  fund_pay_sumamt: yuan.nullable(),
  acct_pay: yuan.nullable(),
});

/** Each transaction's `output` on success, by infno. A transaction missing here is described as an object. */
export const OUTPUTS: Record<string, z.ZodType> = {
  '9001': z.looseObject({ signinoutb: z.looseObject({ sign_time: code, sign_no: code }) }),
  '1101': person,
  '1312': z.looseObject({
    data: z.array(z.looseObject({ hilist_code: code, hilist_name: z.string(), selfpay_prop: z.number(), hilist_pric_uplmt_amt: yuan.nullable(), insu_admdvs: code, barcodes: z.array(z.string()) })),
    recordCounts: z.number(),
    pageNum: z.number(),
    pageSize: z.number(),
  }),
  '2101': pharmacySettlement,
  '2102': pharmacySettlement,
  '2103': settlement,
  '2201': z.looseObject({ data: z.looseObject({ mdtrt_id: code, psn_no: code, ipt_otp_no: code }) }),
  '2202': nothing,
  '2203': nothing,
  '2204': z.looseObject({ result: z.array(lineResult) }),
  '2205': nothing,
  '2206': settlement,
  '2207': settlement,
  '2208': settlement,
  '2601': nothing,
  '2301': z.looseObject({ result: z.array(lineResult) }),
  '2302': nothing,
  '2303': inpatientSettlement,
  '2304': inpatientSettlement,
  '2305': inpatientSettlement,
  '2401': z.looseObject({ result: z.looseObject({ mdtrt_id: code }) }),
  '2402': nothing,
  '2403': nothing,
  '2404': nothing,
  '2405': nothing,
  '2503': z.looseObject({ result: z.looseObject({ trt_dcla_detl_sn: code }) }),
  '2504': nothing,
  '5301': z.looseObject({ feedetail: z.array(filing) }),
  '2001': z.looseObject({ trtinfo: z.array(trtinfo) }),
  '5201': z.looseObject({ mdtrtinfo: z.array(visitRow) }),
  '5203': z.looseObject({
    setlinfo: setlinfo.extend({ cancel_setl_id: code.nullable().meta({ description: 'the record that undid this settlement; null while in force' }) }),
    setldetail,
  }),
  '5204': z.looseObject({ feedetail: z.array(stayLine) }),
  '5206': z.looseObject({ cuminfo: z.array(counter) }),
  '3201': z.looseObject({ stmtinfo: z.looseObject({ setl_optins: code, stmt_rslt: flag, stmt_rslt_dscr: z.string() }) }),
  '3202': z.looseObject({ details: z.array(reconciled) }),
};

export function outputSchema(infno: string): z.ZodType {
  return OUTPUTS[infno] ?? nothing;
}
