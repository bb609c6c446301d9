/**
 * clients.md section 1 as data: per transaction and node, every field real clients read and its type.
 * A transaction medpos gains (the inpatient 23xx) is covered by adding its line here and its steps to a chain.
 */
export type FieldType = 'number' | 'string' | 'number|null' | 'string|null';
export type NodeFields = Record<string, FieldType>;

const n = (names: string): NodeFields => Object.fromEntries(names.split(/\s*,\s*/).map((k) => [k, 'number' as const]));
const s = (names: string): NodeFields => Object.fromEntries(names.split(/\s*,\s*/).map((k) => [k, 'string' as const]));

const setlinfoMoney = n(
  'acct_mulaid_pay, acct_pay, act_pay_dedc, balc, cvlserv_pay, fulamt_ownpay_amt, fund_pay_sumamt, hifes_pay, hifmi_pay, hifob_pay, hifp_pay, hosp_part_amt, inscp_scp_amt, maf_pay, medfee_sumamt, oth_pay, overlmt_selfpay, pool_prop_selfpay, preselfpay_amt, psn_cash_pay, psn_part_amt',
);
const setlinfoCodes = s('clr_optins, clr_type, clr_way, cvlserv_flag, insutype, mdtrt_cert_type, mdtrt_id, med_type, medins_setl_id, psn_no, psn_type, setl_id, setl_time');
const person = { age: 'number' as const, ...s('brdy, certno, gend, naty, psn_cert_type, psn_name') };

/** 2206/2207 setlinfo (and 2101/2102's): a trial's setl_id is null. */
const settled: NodeFields = { ...setlinfoMoney, ...setlinfoCodes, ...person };
const trial: NodeFields = { ...settled, setl_id: 'string|null' };
/** 2208 (and 2103): the cancellation, with the interface's misspelt pdn_cash_pay beside psn_cash_pay. */
const cancelled: NodeFields = { ...setlinfoMoney, ...setlinfoCodes, pdn_cash_pay: 'number' };

const setldetail: NodeFields = { crt_payb_lmt_amt: 'number|null', ...s('fund_pay_type, fund_pay_type_name, setl_proc_info'), ...n('fund_payamt, inscp_scp_amt') };
const lineResult: NodeFields = {
  ...s('bas_medn_flag, chld_medc_flag, chrgitm_lv, drt_reim_flag, feedetl_sn, hi_nego_drug_flag, list_sp_item_flag, lmt_used_flag, med_chrgitm_type, memo'),
  ...n('cnt, det_item_fee_sumamt, fulamt_ownpay_amt, inscp_scp_amt, overlmt_amt, preselfpay_amt, pric, selfpay_prop'),
  pric_uplmt_amt: 'number|null',
};

/** Per transaction: node name -> fields; a node listed with `[]` is a list whose every row carries them. */
export const READ_FIELDS: Record<string, Record<string, { list: boolean; fields: NodeFields }>> = {
  '9001': { signinoutb: { list: false, fields: s('sign_no, sign_time') } },
  '1101': {
    baseinfo: { list: false, fields: { ...person, psn_no: 'string' } },
    insuinfo: {
      list: true,
      fields: { balc: 'number', ...s('cvlserv_flag, emp_name, insuplc_admdvs, insutype, psn_insu_stas, psn_type'), psn_insu_date: 'string|null', paus_insu_date: 'string|null' },
    },
    idetinfo: { list: true, fields: { ...s('begntime, memo, psn_idet_type, psn_type_lv'), endtime: 'string|null' } },
  },
  '2201': { data: { list: false, fields: s('ipt_otp_no, mdtrt_id, psn_no') } },
  '2204': { result: { list: true, fields: lineResult } },
  '2206': { setlinfo: { list: false, fields: trial }, setldetail: { list: true, fields: setldetail } },
  '2207': { setlinfo: { list: false, fields: settled }, setldetail: { list: true, fields: setldetail } },
  '2208': { setlinfo: { list: false, fields: cancelled }, setldetail: { list: true, fields: setldetail } },
  '2101': { setlinfo: { list: false, fields: { ...trial, mdtrt_id: 'string|null' } }, setldetail: { list: true, fields: setldetail }, detlcutinfo: { list: true, fields: lineResult } },
  '2102': { setlinfo: { list: false, fields: settled }, setldetail: { list: true, fields: setldetail }, detlcutinfo: { list: true, fields: lineResult } },
  '2103': { setlinfo: { list: false, fields: cancelled }, setldetail: { list: true, fields: setldetail } },
  '2401': { result: { list: false, fields: s('mdtrt_id') } },
  '2301': { result: { list: true, fields: lineResult } },
  '2303': { setlinfo: { list: false, fields: { ...trial, mid_setl_flag: 'string' } }, setldetail: { list: true, fields: setldetail } },
  '2304': { setlinfo: { list: false, fields: { ...settled, mid_setl_flag: 'string' } }, setldetail: { list: true, fields: setldetail } },
  '2305': { setlinfo: { list: false, fields: { ...setlinfoMoney, hifdm_pay: 'number', ...s('mdtrt_id, medins_setl_id, setl_id, setl_time') } }, setldetail: { list: true, fields: setldetail } },
  '3201': { stmtinfo: { list: false, fields: s('setl_optins, stmt_rslt, stmt_rslt_dscr') } },
  // inpatient.md sections 7 and 8: the filings, eligibility and the queries
  '2503': { result: { list: false, fields: s('trt_dcla_detl_sn') } },
  '5301': { feedetail: { list: true, fields: { ...s('trt_dcla_detl_sn, insutype, opsp_dise_code, opsp_dise_name, begndate'), enddate: 'string|null' } } },
  '2001': { trtinfo: { list: true, fields: { ...s('psn_no, fund_pay_type, trt_enjymnt_flag'), trt_chk_rslt: 'string|null' } } },
  '5201': {
    mdtrtinfo: {
      list: true,
      fields: { ...s('mdtrt_id, psn_no, insutype, begntime'), med_type: 'string|null', endtime: 'string|null', ipt_otp_no: 'string|null', inhosp_stas: 'string|null', dise_codg: 'string|null' },
    },
  },
  '5203': { setlinfo: { list: false, fields: { ...settled, cancel_setl_id: 'string|null' } }, setldetail: { list: true, fields: setldetail } },
  '5204': { feedetail: { list: true, fields: { ...lineResult, med_list_codg: 'string', init_feedetl_sn: 'string|null', fee_ocur_time: 'string|null', setl_id: 'string|null' } } },
  '5206': { cuminfo: { list: true, fields: { ...s('insutype, year, cum_type_code'), cum: 'number' } } },
};

/** Every response envelope. */
export const ENVELOPE_FIELDS: NodeFields = { infcode: 'number', ...s('inf_refmsgid, refmsg_time, respond_time'), err_msg: 'string|null', signtype: 'string|null', cainfo: 'string|null' };

function typeOf(v: unknown): string {
  return v === null ? 'null' : typeof v;
}

/** Problems with one node: missing fields, wrong types ("where.field: expected T, got U"). */
export function checkFields(where: string, value: unknown, fields: NodeFields): string[] {
  if (value === null || typeof value !== 'object') return [`${where}: expected an object, got ${typeOf(value)}`];
  const o = value as Record<string, unknown>;
  const out: string[] = [];
  for (const [k, t] of Object.entries(fields)) {
    if (!Object.hasOwn(o, k)) out.push(`${where}.${k}: missing`);
    else if (!t.split('|').includes(typeOf(o[k]))) out.push(`${where}.${k}: expected ${t}, got ${typeOf(o[k])} (${JSON.stringify(o[k])})`);
  }
  return out;
}

/** Problems with a whole answer to `infno`, every listed node and row included. */
export function checkAnswer(infno: string, env: Record<string, unknown>, opts: { nonEmptyLists?: string[] } = {}): string[] {
  const out = checkFields('envelope', env, ENVELOPE_FIELDS);
  if (env.infcode !== 0) return [...out, `infcode ${String(env.infcode)}: ${String(env.err_msg)}`];
  const output = env.output as Record<string, unknown>;
  for (const [node, spec] of Object.entries(READ_FIELDS[infno] ?? {})) {
    const v = output?.[node];
    if (!spec.list) {
      out.push(...checkFields(`output.${node}`, v, spec.fields));
      continue;
    }
    if (!Array.isArray(v)) {
      out.push(`output.${node}: expected a list, got ${typeOf(v)}`);
      continue;
    }
    if (v.length === 0 && opts.nonEmptyLists?.includes(node)) out.push(`output.${node}: expected rows, got none`);
    v.forEach((row, i) => out.push(...checkFields(`output.${node}[${i}]`, row, spec.fields)));
  }
  return out;
}
