/**
 * The inpatient chain: trial settlement (2303), settlement final or mid-stay (2304), settlement
 * cancel (2305), and 2601 of a 2304 or a 2305 (reversal.ts hands those here).
 */
import { addCounters, checkDeltasFit, negateDeltas, zeroCounters, type CounterDeltas } from '../../../core/counters.ts';
import { checkSettlementLines } from '../../../core/fee-lines.ts';
import type { FundPayment } from '../../../core/funds.ts';
import { cancelledFunds, checkHospital, computeInpatientSplit, paidFunds, type InpatientSplit } from '../../../core/inpatient.ts';
import { donorsFor, Refusal, type LineSplit } from '../../../core/settle.ts';
import { checkSettlementCancel, nextVisitState, requireVisitTransition, type VisitState } from '../../../core/visit.ts';
import { YEAR_DELTA_COLUMNS, type SettlementFund, type SettlementRecord, type StayLineSums } from '../../../ledger/records.ts';
import { identifyFor } from '../../identity.ts';
import type { Inputs } from '../../inputs.ts';
import { fundRows, setlInfo } from '../../outputs.ts';
import { certOf, newId, recordOf, tx, undo, type Chain, type Ctx } from '../shared.ts';
import { requireStay } from './stay.ts';

/** 2303 and 2304: section 5's money over the stored splits of every live unsettled line (their sums: no line is read). */
async function settleStay(ctx: Ctx, d: Inputs['2303']['data'], write: boolean) {
  checkHospital(ctx.institution);
  const stay = await requireStay(ctx, d.mdtrt_id, d.psn_no, d.insutype);
  const who = await identifyFor(ctx.world, d.psn_no, certOf(d), ctx.stamp.date, ctx.tokens);
  const mid = d.mid_setl_flag === '1';
  const next = requireVisitTransition(stay.state, { kind: 'settle', mid, trial: !write });
  const sums = await ctx.ledger.stayLineSums(d.mdtrt_id);
  const inForce = (await ctx.ledger.visitSettlements(d.mdtrt_id)).filter((s) => s.in_force === 1);
  checkSettlementLines(sums.lines, mid, inForce.some((s) => s.mid_setl_flag === '1'));
  const aggregate: LineSplit[] = sums.lines === 0 ? [] : [settledSums(sums)];
  const psnNo = d.psn_no;
  const balances = new Map<string, number>();
  for (const p of [psnNo, ...(who.payer.kind === 'own' ? donorsFor(ctx.world, psnNo) : [who.payer.holderPsnNo])]) balances.set(p, await ctx.ledger.balance(p));
  const split = computeInpatientSplit(
    ctx.world,
    { institution: ctx.institution, patient: who.patient, insutype: d.insutype, lines: aggregate, medfee_sumamt: d.medfee_sumamt, acctUsed: d.acct_used_flag === '1', payer: who.payer, date: ctx.stamp.date },
    {
      balances,
      counters: await ctx.ledger.yearCounters(psnNo, d.insutype, ctx.stamp.year),
      admission: inForce.length === 0 ? null : { dedcStandard: inForce[0]!.dedc_standard ?? 0, dedcPaid: inForce.reduce((s, r) => s + r.act_pay_dedc, 0) },
    },
  );
  const bill = { patient: who.patient, payer: who.payer, insutype: d.insutype, med_type: stay.med_type ?? '21', medfee_sumamt: d.medfee_sumamt, acctUsed: d.acct_used_flag === '1', lines: [] };
  const funds = fundsOf(paidFunds(split.funds), split.inscp_scp_amt);
  const facts = (ids: { setl_id?: string; mdtrt_id: string }) => ({ ...recordOf(ctx, bill, split, d.mdtrt_cert_type, ids), clr_type: '21', ...stayFields(split, d.mid_setl_flag) });
  if (!write) return { setlinfo: setlInfo(ctx.world, facts({ mdtrt_id: d.mdtrt_id })), setldetail: fundRows(funds) };
  const setl_id = await newId(ctx, 'S');
  const visit_rev = await ctx.ledger.updateVisit(d.mdtrt_id, { state: next });
  const rec = { ...facts({ setl_id, mdtrt_id: d.mdtrt_id }), visit_rev } as SettlementRecord;
  await ctx.ledger.appendSettlement(rec, split.debits, { unsettledOf: d.mdtrt_id }, funds);
  return { setlinfo: setlInfo(ctx.world, rec), setldetail: fundRows(funds) };
}

/**
 * The stay's lines as one line of their summed stored splits. Refund lines are their originals'
 * splits negated per unit, so the sums can keep a fen of rounding on the wrong side of zero (two
 * refunds of one against a count of two): a negative self-pay part is folded into the in-scope amount
 * and a negative in-scope amount into the first self-pay, so that no part is below zero and the
 * funds never pay more than the bill. Each line keeps its own split as stored.
 */
function settledSums(s: StayLineSums): LineSplit {
  let inscp = s.inscp_scp_amt;
  const part = (v: number) => {
    if (v >= 0) return v;
    inscp += v;
    return 0;
  };
  const fulamt = part(s.fulamt_ownpay_amt);
  const overlmt = part(s.overlmt_amt);
  let preselfpay = part(s.preselfpay_amt);
  if (inscp < 0) {
    preselfpay += inscp;
    inscp = 0;
  }
  return { feedetl_sn: '*', amount: s.amount, fulamt_ownpay_amt: fulamt, overlmt_amt: overlmt, preselfpay_amt: preselfpay, inscp_scp_amt: inscp, chrgitm_lv: '01', selfpay_prop: 0, pric_uplmt_amt: null, lmt_used_flag: '0' };
}

function fundsOf(paid: readonly FundPayment[], inscp: number): SettlementFund[] {
  return paid.map((f) => ({ fund_pay_type: f.fund_pay_type, fund_pay_type_name: f.fund_pay_type_name, field: f.field, inscp_scp_amt: inscp, fund_payamt: f.amount, cap_left_after: f.capLeftAfter }));
}

/** The record's inpatient columns: the further funds, the deductible standard, the deltas of section 6. */
function stayFields(split: InpatientSplit, midFlag: string) {
  const c = split.deltas.counters;
  return {
    mid_setl_flag: midFlag,
    dedc_standard: split.dedc_standard,
    hifob_pay: split.hifob_pay,
    hifmi_pay: split.hifmi_pay,
    cvlserv_pay: split.cvlserv_pay,
    maf_pay: split.maf_pay,
    ...Object.fromEntries(YEAR_DELTA_COLUMNS.map(([dcol, name]) => [dcol, c[name]])),
    d_chr_dedc_used: 0,
    d_chr_fund_used: 0,
    chr_dise_code: null,
    maf_psn_idet_type: split.deltas.maf_psn_idet_type,
  };
}

/** A stored record's deltas, as counters.ts has them. */
function deltasOf(r: SettlementRecord): CounterDeltas {
  const counters = zeroCounters();
  for (const [dcol, name] of YEAR_DELTA_COLUMNS) counters[name] = r[dcol] ?? 0;
  return { insutype: r.insutype, year: r.year, counters, chronic: null, maf_psn_idet_type: r.maf_psn_idet_type ?? null };
}

/** An inpatient settlement of this hospital, as 2305 and 2601 judge it. */
async function inpatientSettlement(ctx: Ctx, setlId: string) {
  const s = await ctx.ledger.settlement(setlId);
  if (!s || s.kind !== 'settle' || s.clr_type !== '21' || s.fixmedins_code !== ctx.institution.fixmedins_code) return undefined;
  return s;
}

/**
 * Undoes an inpatient settlement in force (2305 a cancellation, 2601 of a 2304 a reversal): a
 * reversing record with every amount and delta negated, balances and counters back, the lines left
 * live and unsettled, the visit's new state; setldetail the original's rows negated with the cap left after.
 */
export async function undoStaySettlement(ctx: Ctx, want: { setl_id: string; mdtrt_id?: string; psn_no: string }, via: '2305' | '2601') {
  checkHospital(ctx.institution);
  const orig = await inpatientSettlement(ctx, want.setl_id);
  const stay = orig ? await requireStay(ctx, orig.mdtrt_id, orig.psn_no) : undefined;
  const undone = orig ? await ctx.ledger.undoneBy(orig.setl_id) : undefined;
  const later = orig ? (await ctx.ledger.visitSettlements(orig.mdtrt_id)).some((s) => s.in_force === 1 && s.seq! > orig.seq!) : false;
  const otherOpen = orig ? (await ctx.ledger.openAdmissions(ctx.institution.fixmedins_code, orig.psn_no)).some((v) => v.mdtrt_id !== orig.mdtrt_id) : false;
  const facts = orig && { setl_id: orig.setl_id, mdtrt_id: orig.mdtrt_id, psn_no: orig.psn_no, final: orig.mid_setl_flag === '0', inForce: !undone };
  const state = checkSettlementCancel(facts, want, (stay?.state ?? 'ADMITTED') as VisitState, { later, otherOpenAdmission: otherOpen }, via);
  const o = orig!;
  const negated = negateDeltas(deltasOf(o));
  const after = addCounters(await ctx.ledger.yearCounters(o.psn_no, o.insutype, o.year), negated.counters);
  const origFunds = (await ctx.ledger.settlementFunds(o.setl_id)).map((f) => ({ fund_pay_type: f.fund_pay_type, fund_pay_type_name: f.fund_pay_type_name, field: f.field as FundPayment['field'], amount: f.fund_payamt, capLeftAfter: f.cap_left_after }));
  const funds = fundsOf(cancelledFunds(ctx.world, { funds: origFunds, deltas: deltasOf(o) }, after), 0 - o.inscp_scp_amt);
  const visit_rev = await ctx.ledger.updateVisit(o.mdtrt_id, { state });
  const rec = await undo(ctx, o, via === '2305' ? 'cancel' : 'reversal', await ctx.ledger.debits(o.setl_id), { visit_rev, funds });
  return { setlinfo: setlInfo(ctx.world, rec), setldetail: fundRows(funds) };
}

/**
 * 2601 of a 2305: puts its settlement back in force, if nothing moved since (the visit's rev is what
 * the 2305 left, every line still live and unsettled) and every bound still holds.
 */
export async function restoreStaySettlement(ctx: Ctx, cancel: SettlementRecord): Promise<void> {
  const orig = (await ctx.ledger.settlement(cancel.init_setl_id!))!;
  const stay = await requireStay(ctx, orig.mdtrt_id, orig.psn_no);
  const next = nextVisitState(stay.state, { kind: 'restore_settlement', final: orig.mid_setl_flag === '0', movedSince: stay.rev !== cancel.visit_rev });
  if (next instanceof Refusal) throw next;
  if ((await ctx.ledger.linesTakenElsewhere(await ctx.ledger.settlementLineIds(orig.setl_id), orig.setl_id)) > 0) {
    throw new Refusal('later_message_depends', `the fee lines of settlement ${orig.setl_id} were since settled again or withdrawn`);
  }
  for (const debit of await ctx.ledger.debits(orig.setl_id)) {
    if ((await ctx.ledger.balance(debit.psn_no)) < debit.amount) throw new Refusal('reversal_breaks_bound', `putting the settlement back would overdraw the personal account of ${debit.psn_no}`);
  }
  checkDeltasFit(ctx.world, deltasOf(orig), await ctx.ledger.yearCounters(orig.psn_no, orig.insutype, orig.year));
  const visit_rev = await ctx.ledger.updateVisit(orig.mdtrt_id, { state: next });
  const funds = (await ctx.ledger.settlementFunds(cancel.setl_id)).map((f) => ({ ...f, inscp_scp_amt: 0 - f.inscp_scp_amt, fund_payamt: 0 - f.fund_payamt }));
  await undo(ctx, cancel, 'reversal', await ctx.ledger.debits(cancel.setl_id), { visit_rev, funds });
}

/** 2601 of a 2401: the admission undone while nothing was ever uploaded to it. */
export async function reverseAdmission(ctx: Ctx, response: string, psnNo: string): Promise<void> {
  const mdtrtId = (JSON.parse(response) as { output?: { result?: { mdtrt_id?: string } } }).output?.result?.mdtrt_id;
  if (!mdtrtId) throw new Refusal('msgid_unknown', 'that 2401 admitted nobody: nothing to reverse');
  const stay = await requireStay(ctx, mdtrtId, psnNo);
  if (stay.state === 'CANCELLED' && stay.lines_ever === 0) return; // already undone: 2601 is idempotent
  const next = nextVisitState(stay.state, { kind: 'reverse_admission', linesEver: stay.lines_ever });
  if (next instanceof Refusal) throw next;
  await ctx.ledger.updateVisit(mdtrtId, { state: next });
}


export const INPATIENT_SETTLEMENT = {
  '2303': tx('2303', (ctx, input) => settleStay(ctx, input.data, false)),
  '2304': tx('2303', (ctx, input) => settleStay(ctx, input.data, true)),
  '2305': tx('2305', (ctx, input) => undoStaySettlement(ctx, input.data, '2305')),
} satisfies Chain;
