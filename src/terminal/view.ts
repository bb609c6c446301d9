/** What the cashier page shows of the checkout: names and ID numbers masked, money in yuan. */
import { maskId, maskName } from '../core/mask.ts';
import { lineAmount } from '../core/money.ts';
import { checkoutSig } from './flows/checkout.ts';
import { INSUTYPE_NAMES, LEVEL_NAMES, fen, yuan, type Checkout } from './model.ts';

export function checkoutView(co: Checkout | null): unknown {
  if (!co) return null;
  const p = co.patient;
  const pre = co.pre && (co.state !== 'open' || co.pre.sig === checkoutSig(co)) ? co.pre.setl : null;
  return {
    id: co.id,
    mode: co.mode,
    state: co.state,
    begntime: co.begntime,
    setl_id: co.setlId,
    patient: p && {
      psn_no: p.psn_no,
      name: maskName(p.name),
      certno: maskId(p.certno),
      gend: p.gend === '1' ? '男' : p.gend === '2' ? '女' : p.gend,
      age: p.age,
      via: p.via,
      cert_type: p.cert.mdtrt_cert_type,
      holder: p.holder && { name: maskName(p.holder.name), certno: maskId(p.holder.certno) },
      card_present: p.card ? p.card.present : null,
      insuinfo: p.insuinfo.map((i) => ({ ...i, name: INSUTYPE_NAMES[i.insutype] ?? i.insutype, active: i.psn_insu_stas === '1', balc: yuan(i.balc) })),
    },
    insutype: co.insutype,
    acct_used: co.acctUsed,
    visit: co.visit && { mdtrt_id: co.visit.mdtrt_id, ipt_otp_no: co.visit.ipt_otp_no, batch: co.visit.batch },
    lines: co.lines.map((l) => {
      const amount = l.pric === null ? null : lineAmount(l.pric * 100, l.cnt_e4);
      return {
        no: l.no,
        hilist_code: l.hilist_code,
        name: l.name,
        lv: l.chrgitm_lv ? LEVEL_NAMES[l.chrgitm_lv] : '—',
        chrgitm_lv: l.chrgitm_lv,
        selfpay_prop: l.selfpay_prop,
        cap: l.cap === null ? null : yuan(l.cap),
        lmt_used_flag: l.lmt_used_flag,
        pric: l.pric === null ? null : yuan(l.pric),
        cnt: l.cnt_e4 / 10_000,
        amount: amount === null ? null : yuan(amount),
        hosp_appr_flag: l.hosp_appr_flag,
        trace_code: l.trace_code,
        split: l.split && pre ? Object.fromEntries(Object.entries(l.split).map(([k, v]) => [k, yuan(v)])) : null,
      };
    }),
    total: yuan(co.lines.reduce((s, l) => s + (l.pric === null ? 0 : lineAmount(l.pric * 100, l.cnt_e4)), 0)),
    pre: pre && {
      medfee_sumamt: pre.medfee_sumamt,
      fulamt_ownpay_amt: pre.fulamt_ownpay_amt,
      overlmt_selfpay: pre.overlmt_selfpay,
      preselfpay_amt: pre.preselfpay_amt,
      inscp_scp_amt: pre.inscp_scp_amt,
      act_pay_dedc: pre.act_pay_dedc,
      hifp_pay: pre.hifp_pay,
      pool_prop_selfpay: pre.pool_prop_selfpay,
      fund_pay_sumamt: pre.fund_pay_sumamt,
      psn_part_amt: pre.psn_part_amt,
      acct_pay: pre.acct_pay,
      own_acct_pay: yuan(fen(pre.acct_pay) - fen(pre.acct_mulaid_pay)),
      acct_mulaid_pay: pre.acct_mulaid_pay,
      psn_cash_pay: pre.psn_cash_pay,
      balc: pre.balc,
    },
    notices: co.notices,
  };
}
