/** What the platform's transaction chains share: the request context, ids, identity glue, and settling a priced bill. */
import type { Clock, Stamp } from '../../core/clock.ts';
import { fenToYuan, type Fen } from '../../core/money.ts';
import { computeChronicSplit, type ChronicSplit } from '../../core/chronic.ts';
import { checkMedType, computeSplit, donorsFor, isPooled, Refusal, splitLine, type LineSplit, type Payer, type Split } from '../../core/settle.ts';
import type { Institution, Person, WorldIndex } from '../../core/world.ts';
import { AMOUNT_FIELDS, DELTA_FIELDS, FUND_FIELDS, type Amounts, type Debit, type FeeLineRow, type SettledLines, type SettlementFund, type SettlementRecord } from '../../ledger/records.ts';
import type { LedgerTx } from '../../ledger/types.ts';
import type { Presented, TokenResolver } from '../identity.ts';
import type { FeeLineInput, InputKey, Inputs } from '../inputs.ts';
import type { RequestEnvelope } from '../envelope.ts';
import { personAnswer, setlDetail, setlInfo, type RecordFacts } from '../outputs.ts';

export interface Ctx {
  /** The request's own transaction. */
  ledger: LedgerTx;
  world: WorldIndex;
  clock: Clock;
  env: RequestEnvelope;
  institution: Institution;
  msgid: string;
  /** The request's instant: every date and time it writes. */
  stamp: Stamp;
  tokens: TokenResolver;
}

export const money = (fen: Fen) => fenToYuan(fen);


export async function newId(ctx: Ctx, prefix: string): Promise<string> {
  const n = await ctx.ledger.nextSeq(prefix);
  return `${ctx.world.data.world.admdvs}${prefix}${ctx.stamp.compact}${String(n).padStart(6, '0')}`;
}

export function requireKind(inst: Institution, kind: Institution['fixmedins_type'], infno: string): void {
  if (inst.fixmedins_type !== kind) {
    throw new Refusal('wrong_institution_type', `${infno} is for ${kind === 'pharmacy' ? 'pharmacies' : 'hospitals'}; ${inst.fixmedins_code} is a ${inst.fixmedins_type}`);
  }
}

// --- settlement, shared by the pharmacy and outpatient chains -------------------------------

export interface Bill {
  patient: Person;
  payer: Payer;
  insutype: string;
  med_type: string;
  medfee_sumamt: Fen;
  acctUsed: boolean;
  lines: { row: { feedetl_sn: string; med_list_codg: string; pricE4: number; cntE4: number; amount: Fen; hosp_appr_flag?: string | null | undefined } }[];
}

/**
 * Prices a bill. With `chronicDise` (med_type 14 under a `chronic` policy, inpatient.md section 7) the
 * pool draws on that disease's deductible, ratio, cap and counters instead of the outpatient ones.
 */
export async function priceBill(ctx: Ctx, bill: Bill, chronicDise?: string): Promise<{ lines: LineSplit[]; split: Split | ChronicSplit }> {
  const date = ctx.stamp.date;
  checkMedType(ctx.institution, bill.med_type);
  const lines = bill.lines.map(({ row }) => splitLine(row, ctx.world.catalog.get(row.med_list_codg), date));
  const psnNo = bill.patient.baseinfo.psn_no;
  const payers = bill.payer.kind === 'own' ? donorsFor(ctx.world, psnNo) : [bill.payer.holderPsnNo];
  const balances = new Map<string, Fen>();
  for (const p of [psnNo, ...payers]) balances.set(p, await ctx.ledger.balance(p));
  const req = { institution: ctx.institution, patient: bill.patient, insutype: bill.insutype, med_type: bill.med_type, lines, medfee_sumamt: bill.medfee_sumamt, acctUsed: bill.acctUsed, payer: bill.payer };
  if (chronicDise !== undefined) {
    const chronic = await ctx.ledger.chronicCounters(psnNo, bill.insutype, ctx.stamp.year, chronicDise);
    return { lines, split: computeChronicSplit(ctx.world, { ...req, dise_codg: chronicDise, date }, { balances, chronic }) };
  }
  // the year's counters matter only where the pooled fund pays
  const { dedcUsed, fundUsed } = isPooled(ctx.world, ctx.institution) ? await ctx.ledger.counters(psnNo, bill.insutype, ctx.stamp.year) : { dedcUsed: 0, fundUsed: 0 };
  return { lines, split: computeSplit(ctx.world, req, { balances, dedcUsed, fundUsed }) };
}

/** A chronic settlement moves its disease's counters, not the outpatient ones (the record's deltas say so). */
function chronicDeltas(split: Split | ChronicSplit): Partial<SettlementRecord> {
  const chronic = 'deltas' in split ? split.deltas.chronic : null;
  if (!chronic) return {};
  return { d_dedc_used: 0, d_fund_used: 0, chr_dise_code: chronic.opsp_dise_code, d_chr_dedc_used: chronic.dedc_used, d_chr_fund_used: chronic.fund_used };
}

/** The record a bill makes (or would make, without ids). */
export function recordOf(ctx: Ctx, bill: Bill, split: Split, certType: string, ids: { setl_id?: string; mdtrt_id?: string }): RecordFacts {
  const ins = bill.patient.insuinfo.find((i) => i.insutype === bill.insutype);
  const t = ctx.stamp;
  // every field written out, no spread: V8 then builds the record on its fast path
  return {
    setl_id: ids.setl_id,
    kind: 'settle',
    init_setl_id: null,
    mdtrt_id: ids.mdtrt_id,
    psn_no: bill.patient.baseinfo.psn_no,
    insutype: bill.insutype,
    psn_type: ins?.psn_type ?? '',
    clr_type: bill.med_type === '41' ? '41' : '11',
    clr_optins: ins?.insuplc_admdvs ?? ctx.world.data.world.admdvs,
    fixmedins_code: ctx.institution.fixmedins_code,
    med_type: bill.med_type,
    setl_time: t.time,
    setl_date: t.date,
    year: t.year,
    medfee_sumamt: split.medfee_sumamt,
    fulamt_ownpay_amt: split.fulamt_ownpay_amt,
    overlmt_selfpay: split.overlmt_selfpay,
    preselfpay_amt: split.preselfpay_amt,
    inscp_scp_amt: split.inscp_scp_amt,
    act_pay_dedc: split.act_pay_dedc,
    hifp_pay: split.hifp_pay,
    fund_pay_sumamt: split.fund_pay_sumamt,
    psn_part_amt: split.psn_part_amt,
    acct_pay: split.acct_pay,
    acct_mulaid_pay: split.acct_mulaid_pay,
    psn_cash_pay: split.psn_cash_pay,
    balc: split.balc,
    mdtrt_cert_type: certType,
    pool_prop_selfpay: split.pool_prop_selfpay,
    msgid: ctx.msgid,
  };
}

/** What a pre-settlement answers: the settlement it would make. */
export function settlementOutput(ctx: Ctx, bill: Bill, split: Split, certType: string, ids: { mdtrt_id?: string }) {
  return { setlinfo: setlInfo(ctx.world, recordOf(ctx, bill, split, certType, ids)), setldetail: setlDetail(bill.insutype, split) };
}

export async function recordSettlement(ctx: Ctx, bill: Bill, split: Split | ChronicSplit, mdtrtId: string, certType: string, lines: SettledLines) {
  const rec = recordOf(ctx, bill, split, certType, { setl_id: await newId(ctx, 'S'), mdtrt_id: mdtrtId }) as SettlementRecord;
  Object.assign(rec, chronicDeltas(split));
  await ctx.ledger.appendSettlement(rec, split.debits, lines);
  return { setlinfo: setlInfo(ctx.world, rec), setldetail: setlDetail(bill.insutype, split) };
}

/** Writes a record that undoes `orig` (a cancellation, or a 2601 reversal): every amount and debit negated. */
export async function undo(ctx: Ctx, orig: SettlementRecord, kind: 'cancel' | 'reversal', debits: Debit[], stay: { visit_rev?: number; funds?: readonly SettlementFund[] } = {}) {
  const setl_id = await newId(ctx, kind === 'cancel' ? 'C' : 'R');
  const t = ctx.stamp;
  // the further funds and the counter deltas too: undoing is `counters += d_*` of the reversing record
  const negated = Object.fromEntries([...AMOUNT_FIELDS, ...FUND_FIELDS, ...DELTA_FIELDS].map((f) => [f, 0 - (orig[f] ?? 0)])) as Amounts;
  const reversed = debits.map((d) => ({ ...d, amount: 0 - d.amount }));
  const ownDelta = reversed.filter((d) => d.psn_no === orig.psn_no).reduce((s, d) => s + d.amount, 0);
  const balc = (await ctx.ledger.balance(orig.psn_no)) - ownDelta;
  const rec: SettlementRecord = { ...orig, setl_id, kind, init_setl_id: orig.setl_id, setl_time: t.time, setl_date: t.date, ...negated, balc, msgid: ctx.msgid, visit_rev: stay.visit_rev ?? null };
  await ctx.ledger.appendSettlement(rec, reversed, [], stay.funds);
  return rec;
}

/** A cancellation's setldetail: the cancelled funds, negated; the cap left is the one after the cancellation. */
export async function undoneDetail(ctx: Ctx, rec: SettlementRecord) {
  let left: Fen | null = null;
  const disease = rec.chr_dise_code ? ctx.world.chronicPolicy(rec.insutype)?.[rec.chr_dise_code] : undefined;
  if (disease) left = Math.max(0, disease.cap - (await ctx.ledger.chronicCounters(rec.psn_no, rec.insutype, rec.year, rec.chr_dise_code!)).fund_used);
  else {
    const rules = ctx.world.policy.insutype[rec.insutype];
    if (rules && isPooled(ctx.world, ctx.institution)) left = Math.max(0, rules.cap - (await ctx.ledger.counters(rec.psn_no, rec.insutype, rec.year)).fundUsed);
  }
  return setlDetail(rec.insutype, { hifp_pay: rec.hifp_pay, inscp_scp_amt: rec.inscp_scp_amt, crt_payb_lmt_amt: left });
}

export async function cancelSettlement(ctx: Ctx, data: Inputs['2103']['data'], clrType: '41' | '11') {
  const orig = await ctx.ledger.settlement(data.setl_id);
  if (!orig || orig.kind !== 'settle' || orig.fixmedins_code !== ctx.institution.fixmedins_code || orig.clr_type !== clrType) {
    throw new Refusal('settlement_unknown', `no ${clrType === '41' ? 'pharmacy' : 'outpatient'} settlement ${data.setl_id} at this institution`);
  }
  if (orig.mdtrt_id !== data.mdtrt_id || orig.psn_no !== data.psn_no) {
    throw new Refusal('settlement_mismatch', `settlement ${data.setl_id} does not belong to visit ${data.mdtrt_id} of person ${data.psn_no}`);
  }
  const undone = await ctx.ledger.undoneBy(orig.setl_id);
  if (undone) throw new Refusal('already_cancelled', `settlement ${data.setl_id} was already ${undone.kind === 'cancel' ? 'cancelled' : 'reversed'} (${undone.setl_id})`);
  const rec = await undo(ctx, orig, 'cancel', await ctx.ledger.debits(orig.setl_id));
  return { setlinfo: setlInfo(ctx.world, rec), setldetail: await undoneDetail(ctx, rec) };
}


// --- visits, fee lines, identity glue ------------------------------------------------------

export function certOf(d: { mdtrt_cert_type: Presented['mdtrt_cert_type']; mdtrt_cert_no: string; card_sn?: string | undefined }): Presented {
  return { mdtrt_cert_type: d.mdtrt_cert_type, mdtrt_cert_no: d.mdtrt_cert_no, card_sn: d.card_sn };
}

export async function openVisit(ctx: Ctx, mdtrtId: string, psnNo: string) {
  const v = await ctx.ledger.visit(mdtrtId);
  // an inpatient visit is not one of the outpatient chain's (inpatient.md section 2)
  if (!v || v.fixmedins_code !== ctx.institution.fixmedins_code || v.inpatient === 1) throw new Refusal('visit_unknown', `no outpatient visit ${mdtrtId} at this institution`);
  if (v.psn_no !== psnNo) throw new Refusal('visit_mismatch', `visit ${mdtrtId} is not person ${psnNo}'s`);
  if (v.cancelled) throw new Refusal('visit_cancelled', `visit ${mdtrtId} was cancelled`);
  return v;
}

export function rowLine(r: FeeLineRow) {
  return { row: { feedetl_sn: r.feedetl_sn, med_list_codg: r.med_list_codg, pricE4: r.pric_e4, cntE4: r.cnt_e4, amount: r.amount, hosp_appr_flag: r.hosp_appr_flag } };
}

export function inputLine(l: { feedetl_sn: string; med_list_codg: string; pric: number; cnt: number; det_item_fee_sumamt: number; hosp_appr_flag?: string | undefined }) {
  return { row: { feedetl_sn: l.feedetl_sn, med_list_codg: l.med_list_codg, pricE4: l.pric, cntE4: l.cnt, amount: l.det_item_fee_sumamt, hosp_appr_flag: l.hosp_appr_flag } };
}

export function uniqueSn(sns: string[], where: string): void {
  const seen = new Set<string>();
  for (const sn of sns) {
    if (seen.has(sn)) throw new Refusal('duplicate_feedetl_sn', `feedetl_sn ${sn} appears twice ${where}`);
    seen.add(sn);
  }
}

/** Keeps uploaded or sold fee lines of one visit, in order, with the splits they were answered with (5204 shows them again). */
export async function storeFeeLines(ctx: Ctx, mdtrtId: string, lines: readonly { l: FeeLineInput; split: LineSplit }[]): Promise<void> {
  await ctx.ledger.insertStayLines(lines.map(({ l, split }) => ({
    mdtrt_id: mdtrtId,
    feedetl_sn: l.feedetl_sn,
    chrg_bchno: l.chrg_bchno ?? null,
    med_list_codg: l.med_list_codg,
    pric_e4: l.pric,
    cnt_e4: l.cnt,
    amount: l.det_item_fee_sumamt,
    hosp_appr_flag: l.hosp_appr_flag ?? null,
    body: JSON.stringify(l),
    msgid: ctx.msgid,
    at: ctx.stamp.time,
    init_feedetl_sn: null,
    fulamt_ownpay_amt: split.fulamt_ownpay_amt,
    overlmt_amt: split.overlmt_amt,
    preselfpay_amt: split.preselfpay_amt,
    inscp_scp_amt: split.inscp_scp_amt,
    chrgitm_lv: split.chrgitm_lv,
    selfpay_prop: split.selfpay_prop,
    pric_uplmt_amt: split.pric_uplmt_amt,
    lmt_used_flag: split.lmt_used_flag,
    split_date: ctx.stamp.date,
    fee_ocur_time: l.fee_ocur_time ?? null,
  })));
}

/** Opens a visit (2201, or the one a pharmacy sale makes); returns its mdtrt_id. */
export async function newVisit(ctx: Ctx, v: { psn_no: string; insutype: string; med_type: string | null; cert_type: string; cert_no: string; payer: Payer; ipt_otp_no: string | null; begntime: string | undefined }): Promise<string> {
  const mdtrt_id = await newId(ctx, 'M');
  await ctx.ledger.insertVisit({
    mdtrt_id,
    fixmedins_code: ctx.institution.fixmedins_code,
    psn_no: v.psn_no,
    insutype: v.insutype,
    med_type: v.med_type,
    cert_type: v.cert_type,
    cert_no: v.cert_no,
    holder_psn_no: v.payer.kind === 'holder' ? v.payer.holderPsnNo : null,
    ipt_otp_no: v.ipt_otp_no,
    begntime: v.begntime ?? ctx.stamp.time,
    msgid: ctx.msgid,
    at: ctx.stamp.time,
  });
  return mdtrt_id;
}

export function billFor(
  who: { patient: Person; payer: Payer },
  d: { insutype: string; med_type: string; medfee_sumamt: Fen; acct_used_flag: '0' | '1' },
  lines: Bill['lines'],
): Bill {
  return { patient: who.patient, payer: who.payer, insutype: d.insutype, med_type: d.med_type, medfee_sumamt: d.medfee_sumamt, acctUsed: d.acct_used_flag === '1', lines };
}

export async function personInfo(ctx: Ctx, p: Person) {
  return personAnswer(p, ctx.stamp.date, await ctx.ledger.balance(p.baseinfo.psn_no));
}

/** One transaction of a chain: the input schema it reads and what it does. */
export interface Transaction {
  input: InputKey;
  // the input's type is checked where the entry is made (`tx`); the registry only passes it on
  run: (ctx: Ctx, input: never) => Promise<unknown>;
}

export function tx<K extends InputKey>(input: K, run: (ctx: Ctx, input: Inputs[K]) => Promise<unknown>): Transaction {
  return { input, run: run as Transaction['run'] };
}

/** A chain's transactions by infno. */
export type Chain = Record<string, Transaction>;
