/** What the inpatient window shows of the stay on screen and of a settlement (the 住院结算单): names and ID numbers masked, money in yuan. */
import { fundName } from '../core/funds.ts';
import { maskId, maskName } from '../core/mask.ts';
import { TerminalError } from './errors.ts';
import { STATE_NAMES, unsettled, type StayLine } from './flows/inpatient.ts';
import { fen, yuan, type Setl } from './model.ts';
import type { Terminal } from './terminal.ts';

const MONEY = ['medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt', 'act_pay_dedc', 'hifp_pay', 'hifob_pay', 'hifmi_pay', 'cvlserv_pay', 'maf_pay', 'fund_pay_sumamt', 'psn_part_amt', 'acct_pay', 'acct_mulaid_pay', 'psn_cash_pay', 'balc'];

/** The platform's figures, to fen and back: every amount the page shows is a whole number of fen. */
function figures(setl: Setl): Record<string, number> {
  return Object.fromEntries(MONEY.map((k) => [k, yuan(fen(setl[k]))]));
}
function funds(detail: Setl[]) {
  return detail.map((d) => ({
    fund_pay_type: String(d.fund_pay_type),
    name: String(d.fund_pay_type_name ?? fundName(String(d.fund_pay_type))),
    fund_payamt: yuan(fen(d.fund_payamt)),
    crt_payb_lmt_amt: d.crt_payb_lmt_amt === null || d.crt_payb_lmt_amt === undefined ? null : yuan(fen(d.crt_payb_lmt_amt)),
  }));
}

/** The 住院结算单 of one settlement of the stay on screen: every fund, the account, cash, the deductible and the cap left. */
export function statement(t: Terminal, setlId: string) {
  const s = [...t.ward.stays.values()].find((x) => x.settlements.some((st) => st.setl_id === setlId));
  const st = s?.settlements.find((x) => x.setl_id === setlId);
  if (!s || !st) throw new TerminalError('settlement_unknown', `没有住院结算 ${setlId}`, 404);
  const pool = st.setldetail.find((d) => d.fund_pay_type === '310100' || d.fund_pay_type === '390100');
  return {
    title: `${t.institution.fixmedins_name} 住院结算单`,
    setl_id: st.setl_id,
    cancel_setl_id: st.cancel_setl_id,
    mid_setl_flag: st.mid ? '1' : '0',
    setl_time: String(st.setlinfo.setl_time ?? ''),
    patient: maskName(s.patient.name),
    certno: maskId(s.patient.certno),
    ipt_no: s.ipt_no,
    mdtrt_id: s.mdtrt_id,
    insutype: s.insutype,
    med_type: s.med_type,
    begntime: s.begntime,
    endtime: s.endtime,
    ...figures(st.setlinfo),
    funds: funds(st.setldetail),
    pool_cap_left: pool && pool.crt_payb_lmt_amt !== null && pool.crt_payb_lmt_amt !== undefined ? yuan(fen(pool.crt_payb_lmt_amt)) : null,
    lines: s.lines.filter((l) => st.lines.includes(l.feedetl_sn)).map(lineView),
  };
}

const lineView = (l: StayLine) => ({
  feedetl_sn: l.feedetl_sn,
  init_feedetl_sn: l.init_feedetl_sn,
  hilist_code: l.hilist_code,
  name: l.name,
  chrgitm_lv: l.chrgitm_lv,
  pric: yuan(l.pric),
  cnt: l.cnt_e4 / 10_000,
  amount: yuan(l.amount),
  fee_ocur_time: l.fee_ocur_time,
  split: l.split && { fulamt_ownpay_amt: yuan(l.split.fulamt_ownpay_amt), overlmt_amt: yuan(l.split.overlmt_amt), preselfpay_amt: yuan(l.split.preselfpay_amt), inscp_scp_amt: yuan(l.split.inscp_scp_amt) },
  setl_id: l.setl_id,
});

export function view(t: Terminal): unknown {
  const s = t.ward.current ? t.ward.stays.get(t.ward.current) : undefined;
  if (!s) return { stay: null };
  const open = unsettled(s);
  return {
    stay: {
      mdtrt_id: s.mdtrt_id,
      ipt_no: s.ipt_no,
      patient: maskName(s.patient.name),
      certno: maskId(s.patient.certno),
      insutype: s.insutype,
      med_type: s.med_type,
      dise_codg: s.dise_codg,
      begntime: s.begntime,
      endtime: s.endtime,
      state: s.state,
      state_name: STATE_NAMES[s.state],
      lines: s.lines.map(lineView),
      unsettled_sum: yuan(open.reduce((a, l) => a + l.amount, 0)),
      unsettled_count: open.length,
      trial: s.trial && { mid_setl_flag: s.trial.mid ? '1' : '0', acct_used: s.trial.acctUsed, ...figures(s.trial.setlinfo), funds: funds(s.trial.setldetail) },
      settlements: s.settlements.map((st) => ({ setl_id: st.setl_id, mid_setl_flag: st.mid ? '1' : '0', cancel_setl_id: st.cancel_setl_id, ...figures(st.setlinfo) })),
    },
  };
}
