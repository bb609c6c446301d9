/**
 * Eligibility (2001) and the read-only queries (inpatient.md section 8): 5201 visits, 5203 a
 * settlement, 5204 fee lines, 5206 counters. They write nothing; an unknown person is person_unknown.
 */
import { YEAR_COUNTERS } from '../../core/counters.ts';
import { eligibility } from '../../core/eligibility.ts';
import { Refusal } from '../../core/settle.ts';
import type { LineSplit } from '../../core/settle.ts';
import { INHOSP_STAS } from '../../core/visit.ts';
import type { SettlementRecord, StayLineRow } from '../../ledger/records.ts';
import type { VisitRow } from '../../ledger/types.ts';
import { lineResult, setlInfo } from '../outputs.ts';
import { filingsOf, namedPerson } from './chronic.ts';
import { money, tx, type Chain, type Ctx } from './shared.ts';

interface DetailRow {
  fund_pay_type: string;
  inscp_scp_amt: number;
  crt_payb_lmt_amt: number | null;
  fund_payamt: number;
  fund_pay_type_name: string;
  setl_proc_info: string;
}

/**
 * A record's setlinfo and setldetail as its own call answered them: the stored response of its
 * msgid (so what 5203 says and what the caller was told cannot differ). A 2601 reversal answered
 * nothing: its record is shown, and the funds of what it undid, negated (the cap left then is not kept: null).
 */
async function asAnswered(ctx: Ctx, rec: SettlementRecord): Promise<{ setlinfo: Record<string, unknown>; setldetail: DetailRow[] }> {
  const stored = await ctx.ledger.findMessage(rec.msgid);
  const output = stored ? (JSON.parse(stored.response) as { output?: { setlinfo?: Record<string, unknown>; setldetail?: DetailRow[] } }).output : undefined;
  if (output?.setlinfo) return { setlinfo: output.setlinfo, setldetail: output.setldetail ?? [] };
  const undid = rec.init_setl_id ? await ctx.ledger.settlement(rec.init_setl_id) : undefined;
  const before = undid ? (await asAnswered(ctx, undid)).setldetail : [];
  const negated = before.map((r) => ({ ...r, inscp_scp_amt: 0 - r.inscp_scp_amt, fund_payamt: 0 - r.fund_payamt, crt_payb_lmt_amt: null }));
  return { setlinfo: setlInfo(ctx.world, rec), setldetail: negated };
}

/** A visit as 5201 lists it: an outpatient visit's med_type and disease are its last 2203's. */
function visitRow(v: VisitRow) {
  return {
    mdtrt_id: v.mdtrt_id,
    psn_no: v.psn_no,
    insutype: v.insutype,
    med_type: v.med_type ?? v.info_med_type ?? null,
    begntime: v.begntime ?? v.at,
    endtime: v.endtime ?? null,
    ipt_otp_no: (v.inpatient ? v.ipt_no : v.ipt_otp_no) ?? null,
    inhosp_stas: v.inpatient && v.state ? INHOSP_STAS[v.state] : null,
    dise_codg: v.dise_codg ?? null,
  };
}

/** A fee line as 5204 answers it: the 2204 fields of its stored split, and the settlement covering it now. */
function lineRow(ctx: Ctx, l: StayLineRow) {
  const split: LineSplit = {
    feedetl_sn: l.feedetl_sn,
    amount: l.amount,
    fulamt_ownpay_amt: l.fulamt_ownpay_amt,
    overlmt_amt: l.overlmt_amt,
    preselfpay_amt: l.preselfpay_amt,
    inscp_scp_amt: l.inscp_scp_amt,
    chrgitm_lv: l.chrgitm_lv as LineSplit['chrgitm_lv'],
    selfpay_prop: l.selfpay_prop,
    pric_uplmt_amt: l.pric_uplmt_amt,
    lmt_used_flag: l.lmt_used_flag as LineSplit['lmt_used_flag'],
  };
  return {
    ...lineResult(split, { pricE4: l.pric_e4, cntE4: l.cnt_e4 }, ctx.world.catalog.get(l.med_list_codg)),
    med_list_codg: l.med_list_codg,
    init_feedetl_sn: l.init_feedetl_sn ?? null,
    fee_ocur_time: l.fee_ocur_time ?? null,
    setl_id: l.setl_id ?? null,
  };
}

export const QUERIES = {
  '2001': tx('2001', async (ctx, input) => {
    const d = input.data;
    const person = namedPerson(ctx, d.psn_no);
    const date = d.begntime ? d.begntime.slice(0, 10) : ctx.stamp.date;
    const q = { insutype: d.insutype, med_type: d.med_type, date, dise_codg: d.dise_codg ?? null };
    return { trtinfo: eligibility(ctx.world, person, q, await filingsOf(ctx, d.psn_no)) };
  }),
  '5201': tx('5201', async (ctx, input) => {
    const d = input.data;
    namedPerson(ctx, d.psn_no);
    const from = d.begntime?.slice(0, 10);
    const to = d.endtime?.slice(0, 10);
    const rows = (await ctx.ledger.visitsOf(ctx.institution.fixmedins_code, d.psn_no)).map(visitRow);
    const mdtrtinfo = rows.filter((v) => {
      const day = v.begntime.slice(0, 10);
      return (d.mdtrt_id === undefined || v.mdtrt_id === d.mdtrt_id) && (d.med_type === undefined || v.med_type === d.med_type) && (!from || day >= from) && (!to || day <= to);
    });
    return { mdtrtinfo };
  }),
  '5203': tx('5203', async (ctx, input) => {
    const d = input.data;
    namedPerson(ctx, d.psn_no);
    const rec = await ctx.ledger.settlement(d.setl_id);
    if (!rec || rec.fixmedins_code !== ctx.institution.fixmedins_code || rec.psn_no !== d.psn_no || (d.mdtrt_id !== undefined && rec.mdtrt_id !== d.mdtrt_id)) {
      throw new Refusal('settlement_unknown', `person ${d.psn_no} has no settlement ${d.setl_id}${d.mdtrt_id ? ` in visit ${d.mdtrt_id}` : ''} at this institution`);
    }
    const { setlinfo, setldetail } = await asAnswered(ctx, rec);
    return { setlinfo: { ...setlinfo, cancel_setl_id: (await ctx.ledger.undoneBy(rec.setl_id))?.setl_id ?? null }, setldetail };
  }),
  '5204': tx('5204', async (ctx, input) => {
    const d = input.data;
    namedPerson(ctx, d.psn_no);
    const visit = await ctx.ledger.visit(d.mdtrt_id);
    if (!visit || visit.fixmedins_code !== ctx.institution.fixmedins_code) throw new Refusal('visit_unknown', `no visit ${d.mdtrt_id} at this institution`);
    if (visit.psn_no !== d.psn_no) throw new Refusal('visit_mismatch', `visit ${d.mdtrt_id} is not person ${d.psn_no}'s`);
    if (d.setl_id !== undefined) {
      const rec = await ctx.ledger.settlement(d.setl_id);
      if (!rec || rec.mdtrt_id !== d.mdtrt_id) throw new Refusal('settlement_unknown', `visit ${d.mdtrt_id} has no settlement ${d.setl_id}`);
    }
    const lines = await ctx.ledger.stayLines(d.mdtrt_id, d.setl_id === undefined ? {} : { setlId: d.setl_id });
    return { feedetail: lines.map((l) => lineRow(ctx, l)) };
  }),
  '5206': tx('5206', async (ctx, input) => {
    const d = input.data;
    const person = namedPerson(ctx, d.psn_no);
    const year = d.cum_ym ? Number(d.cum_ym.slice(0, 4)) : ctx.stamp.year;
    const cuminfo: { insutype: string; year: string; cum_type_code: string; cum: number; opsp_dise_code?: string }[] = [];
    for (const { insutype } of person.insuinfo) {
      const row = { insutype, year: String(year) };
      const c = await ctx.ledger.yearCounters(d.psn_no, insutype, year);
      for (const name of YEAR_COUNTERS) cuminfo.push({ ...row, cum_type_code: name, cum: name === 'ipt_cnt' ? c[name] : money(c[name]) });
      for (const code of Object.keys(ctx.world.chronicPolicy(insutype) ?? {})) {
        const cc = await ctx.ledger.chronicCounters(d.psn_no, insutype, year, code);
        cuminfo.push({ ...row, cum_type_code: 'chr_dedc_used', cum: money(cc.dedc_used), opsp_dise_code: code });
        cuminfo.push({ ...row, cum_type_code: 'chr_fund_used', cum: money(cc.fund_used), opsp_dise_code: code });
      }
    }
    return { cuminfo };
  }),
} satisfies Chain;
