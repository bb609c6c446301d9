/** The platform's transactions (settlement.md section 2), each run inside one ledger transaction. */
import type { Clock, Stamp } from '../core/clock.ts';
import { fenToYuan, ratioToNumber, type Fen } from '../core/money.ts';
import { activeInsurance, checkMedType, computeSplit, donorsFor, isPooled, Refusal, splitLine, type LineSplit, type Payer, type Split } from '../core/settle.ts';
import type { Institution, Person, WorldIndex } from '../core/world.ts';
import { AMOUNT_FIELDS, type Amounts, type Debit, type FeeLineRow, type SettlementRecord } from '../ledger/records.ts';
import type { LedgerTx } from '../ledger/types.ts';
import { identify, identifyFor, type Presented, type TokenResolver } from './identity.ts';
import type { FeeLineInput, Inputs } from './inputs.ts';
import type { RequestEnvelope } from './envelope.ts';
import { lineResult, personAnswer, setlDetail, setlInfo, type RecordFacts } from './outputs.ts';

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

const money = (fen: Fen) => fenToYuan(fen);


async function newId(ctx: Ctx, prefix: string): Promise<string> {
  const n = await ctx.ledger.nextSeq(prefix);
  return `${ctx.world.data.world.admdvs}${prefix}${ctx.stamp.compact}${String(n).padStart(6, '0')}`;
}

function requireKind(inst: Institution, kind: Institution['fixmedins_type'], infno: string): void {
  if (inst.fixmedins_type !== kind) {
    throw new Refusal('wrong_institution_type', `${infno} is for ${kind === 'pharmacy' ? 'pharmacies' : 'hospitals'}; ${inst.fixmedins_code} is a ${inst.fixmedins_type}`);
  }
}

// --- settlement, shared by the pharmacy and outpatient chains -------------------------------

interface Bill {
  patient: Person;
  payer: Payer;
  insutype: string;
  med_type: string;
  medfee_sumamt: Fen;
  acctUsed: boolean;
  lines: { row: { feedetl_sn: string; med_list_codg: string; pricE4: number; cntE4: number; amount: Fen; hosp_appr_flag?: string | null | undefined } }[];
}

async function priceBill(ctx: Ctx, bill: Bill): Promise<{ lines: LineSplit[]; split: Split }> {
  const date = ctx.stamp.date;
  checkMedType(ctx.institution, bill.med_type);
  const lines = bill.lines.map(({ row }) => splitLine(row, ctx.world.catalog.get(row.med_list_codg), date));
  const psnNo = bill.patient.baseinfo.psn_no;
  // the year's counters matter only where the pooled fund pays
  const { dedcUsed, fundUsed } = isPooled(ctx.world, ctx.institution) ? await ctx.ledger.counters(psnNo, bill.insutype, ctx.stamp.year) : { dedcUsed: 0, fundUsed: 0 };
  const payers = bill.payer.kind === 'own' ? donorsFor(ctx.world, psnNo) : [bill.payer.holderPsnNo];
  const balances = new Map<string, Fen>();
  for (const p of [psnNo, ...payers]) balances.set(p, await ctx.ledger.balance(p));
  const split = computeSplit(
    ctx.world,
    { institution: ctx.institution, patient: bill.patient, insutype: bill.insutype, med_type: bill.med_type, lines, medfee_sumamt: bill.medfee_sumamt, acctUsed: bill.acctUsed, payer: bill.payer },
    { balances, dedcUsed, fundUsed },
  );
  return { lines, split };
}

/** The record a bill makes (or would make, without ids). */
function recordOf(ctx: Ctx, bill: Bill, split: Split, certType: string, ids: { setl_id?: string; mdtrt_id?: string }): RecordFacts {
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
function settlementOutput(ctx: Ctx, bill: Bill, split: Split, certType: string, ids: { mdtrt_id?: string }) {
  return { setlinfo: setlInfo(ctx.world, recordOf(ctx, bill, split, certType, ids)), setldetail: setlDetail(bill.insutype, split) };
}

async function recordSettlement(ctx: Ctx, bill: Bill, split: Split, mdtrtId: string, certType: string, lineIds: number[]) {
  const rec = recordOf(ctx, bill, split, certType, { setl_id: await newId(ctx, 'S'), mdtrt_id: mdtrtId }) as SettlementRecord;
  await ctx.ledger.appendSettlement(rec, split.debits, lineIds);
  return { setlinfo: setlInfo(ctx.world, rec), setldetail: setlDetail(bill.insutype, split) };
}

/** Writes a record that undoes `orig` (a cancellation, or a 2601 reversal): every amount and debit negated. */
async function undo(ctx: Ctx, orig: SettlementRecord, kind: 'cancel' | 'reversal', debits: Debit[]) {
  const setl_id = await newId(ctx, kind === 'cancel' ? 'C' : 'R');
  const t = ctx.stamp;
  const negated = Object.fromEntries(AMOUNT_FIELDS.map((f) => [f, 0 - orig[f]])) as Amounts;
  const reversed = debits.map((d) => ({ ...d, amount: 0 - d.amount }));
  const ownDelta = reversed.filter((d) => d.psn_no === orig.psn_no).reduce((s, d) => s + d.amount, 0);
  const balc = (await ctx.ledger.balance(orig.psn_no)) - ownDelta;
  const rec: SettlementRecord = { ...orig, setl_id, kind, init_setl_id: orig.setl_id, setl_time: t.time, setl_date: t.date, ...negated, balc, msgid: ctx.msgid };
  await ctx.ledger.appendSettlement(rec, reversed, []);
  return rec;
}

/** A cancellation's setldetail: the cancelled funds, negated; the cap left is the one after the cancellation. */
async function undoneDetail(ctx: Ctx, rec: SettlementRecord) {
  const rules = ctx.world.policy.insutype[rec.insutype];
  const left = rules && isPooled(ctx.world, ctx.institution) ? Math.max(0, rules.cap - (await ctx.ledger.counters(rec.psn_no, rec.insutype, rec.year)).fundUsed) : null;
  return setlDetail(rec.insutype, { hifp_pay: rec.hifp_pay, inscp_scp_amt: rec.inscp_scp_amt, crt_payb_lmt_amt: left });
}

async function cancelSettlement(ctx: Ctx, data: Inputs['2103']['data'], clrType: '41' | '11') {
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

// --- the transactions -----------------------------------------------------------------------

function certOf(d: { mdtrt_cert_type: Presented['mdtrt_cert_type']; mdtrt_cert_no: string; card_sn?: string | undefined }): Presented {
  return { mdtrt_cert_type: d.mdtrt_cert_type, mdtrt_cert_no: d.mdtrt_cert_no, card_sn: d.card_sn };
}

async function openVisit(ctx: Ctx, mdtrtId: string, psnNo: string) {
  const v = await ctx.ledger.visit(mdtrtId);
  if (!v || v.fixmedins_code !== ctx.institution.fixmedins_code) throw new Refusal('visit_unknown', `no visit ${mdtrtId} at this institution`);
  if (v.psn_no !== psnNo) throw new Refusal('visit_mismatch', `visit ${mdtrtId} is not person ${psnNo}'s`);
  if (v.cancelled) throw new Refusal('visit_cancelled', `visit ${mdtrtId} was cancelled`);
  return v;
}

function rowLine(r: FeeLineRow) {
  return { row: { feedetl_sn: r.feedetl_sn, med_list_codg: r.med_list_codg, pricE4: r.pric_e4, cntE4: r.cnt_e4, amount: r.amount, hosp_appr_flag: r.hosp_appr_flag } };
}

function inputLine(l: { feedetl_sn: string; med_list_codg: string; pric: number; cnt: number; det_item_fee_sumamt: number; hosp_appr_flag?: string | undefined }) {
  return { row: { feedetl_sn: l.feedetl_sn, med_list_codg: l.med_list_codg, pricE4: l.pric, cntE4: l.cnt, amount: l.det_item_fee_sumamt, hosp_appr_flag: l.hosp_appr_flag } };
}

function uniqueSn(sns: string[], where: string): void {
  const seen = new Set<string>();
  for (const sn of sns) {
    if (seen.has(sn)) throw new Refusal('duplicate_feedetl_sn', `feedetl_sn ${sn} appears twice ${where}`);
    seen.add(sn);
  }
}

/** Keeps an uploaded or sold fee line; returns its id. */
function storeFeeLine(ctx: Ctx, mdtrtId: string, l: FeeLineInput): Promise<number> {
  return ctx.ledger.insertFeeLine({
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
  });
}

/** Opens a visit (2201, or the one a pharmacy sale makes); returns its mdtrt_id. */
async function newVisit(ctx: Ctx, v: { psn_no: string; insutype: string; med_type: string | null; cert_type: string; cert_no: string; payer: Payer; ipt_otp_no: string | null; begntime: string | undefined }): Promise<string> {
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

function billFor(
  who: { patient: Person; payer: Payer },
  d: { insutype: string; med_type: string; medfee_sumamt: Fen; acct_used_flag: '0' | '1' },
  lines: Bill['lines'],
): Bill {
  return { patient: who.patient, payer: who.payer, insutype: d.insutype, med_type: d.med_type, medfee_sumamt: d.medfee_sumamt, acctUsed: d.acct_used_flag === '1', lines };
}

async function pharmacy(ctx: Ctx, input: Inputs['2101'], settle: boolean) {
  requireKind(ctx.institution, 'pharmacy', settle ? '2102' : '2101');
  const d = input.druginfo;
  checkMedType(ctx.institution, d.med_type);
  uniqueSn(input.drugdetail.map((l) => l.feedetl_sn), 'in drugdetail');
  const who = await identifyFor(ctx.world, d.psn_no, certOf(d), ctx.stamp.date, ctx.tokens);
  const bill = billFor(who, d, input.drugdetail.map(inputLine));
  const { lines, split } = await priceBill(ctx, bill);
  const detlcutinfo = lines.map((l, i) => lineResult(l, bill.lines[i]!.row, ctx.world.catalog.get(bill.lines[i]!.row.med_list_codg)));
  if (!settle) return { ...settlementOutput(ctx, bill, split, d.mdtrt_cert_type, {}), detlcutinfo };
  const mdtrt_id = await newVisit(ctx, { psn_no: d.psn_no, insutype: d.insutype, med_type: d.med_type, cert_type: d.mdtrt_cert_type, cert_no: d.mdtrt_cert_no, payer: who.payer, ipt_otp_no: null, begntime: d.begntime });
  const ids: number[] = [];
  for (const l of input.drugdetail) ids.push(await storeFeeLine(ctx, mdtrt_id, l));
  return { ...(await recordSettlement(ctx, bill, split, mdtrt_id, d.mdtrt_cert_type, ids)), detlcutinfo };
}

async function outpatient(ctx: Ctx, d: Inputs['2206']['data'], settle: boolean) {
  requireKind(ctx.institution, 'hospital', settle ? '2207' : '2206');
  checkMedType(ctx.institution, d.med_type);
  const visit = await openVisit(ctx, d.mdtrt_id, d.psn_no);
  if (visit.insutype !== d.insutype) throw new Refusal('visit_mismatch', `visit ${d.mdtrt_id} was registered under insutype ${visit.insutype}, not ${d.insutype}`);
  const who = await identifyFor(ctx.world, d.psn_no, certOf(d), ctx.stamp.date, ctx.tokens);
  const rows = await ctx.ledger.feeLines(d.mdtrt_id, { chrgBchno: d.chrg_bchno, unsettledOnly: true });
  if (rows.length === 0) throw new Refusal('no_fee_lines', `visit ${d.mdtrt_id} has no unsettled fee lines${d.chrg_bchno && d.chrg_bchno !== '0000' ? ` in batch ${d.chrg_bchno}` : ''}`);
  const bill = billFor(who, d, rows.map(rowLine));
  const { split } = await priceBill(ctx, bill);
  if (!settle) return settlementOutput(ctx, bill, split, d.mdtrt_cert_type, { mdtrt_id: d.mdtrt_id });
  return recordSettlement(ctx, bill, split, d.mdtrt_id, d.mdtrt_cert_type, rows.map((r) => r.id));
}

async function personInfo(ctx: Ctx, p: Person) {
  return personAnswer(p, ctx.stamp.date, await ctx.ledger.balance(p.baseinfo.psn_no));
}

async function reverse(ctx: Ctx, d: Inputs['2601']['data']) {
  const msg = await ctx.ledger.findMessage(d.omsgid);
  if (!msg || msg.fixmedins_code !== ctx.institution.fixmedins_code) throw new Refusal('msgid_unknown', `message ${d.omsgid} was never applied here: nothing to reverse`);
  if (msg.infno !== d.oinfno) throw new Refusal('msgid_unknown', `message ${d.omsgid} was a ${msg.infno}, not a ${d.oinfno}`);
  const rec = await ctx.ledger.settlementByMsgid(d.omsgid);
  if (!rec) throw new Refusal('msgid_unknown', `message ${d.omsgid} left no settlement record to reverse`);
  if (rec.psn_no !== d.psn_no) throw new Refusal('psn_mismatch', `message ${d.omsgid} was not for person ${d.psn_no}`);
  const undone = await ctx.ledger.undoneBy(rec.setl_id);
  if (undone?.kind === 'reversal') return {}; // already reversed: 2601 is idempotent
  if (undone) throw new Refusal('later_message_depends', `settlement ${rec.setl_id} was since cancelled (${undone.setl_id}); reverse that first`);
  if (rec.kind === 'cancel') {
    // Undoing a cancellation charges the settlement again: it must still fit every bound.
    const orig = (await ctx.ledger.settlement(rec.init_setl_id!))!;
    for (const debit of await ctx.ledger.debits(orig.setl_id)) {
      if ((await ctx.ledger.balance(debit.psn_no)) < debit.amount) {
        throw new Refusal('reversal_breaks_bound', `reversing the cancellation would overdraw the personal account of ${debit.psn_no}`);
      }
    }
    const rules = ctx.world.policy.insutype[orig.insutype];
    const c = await ctx.ledger.counters(orig.psn_no, orig.insutype, orig.year);
    if (rules && (c.dedcUsed + orig.act_pay_dedc > rules.deductible || c.fundUsed + orig.hifp_pay > rules.cap)) {
      throw new Refusal('reversal_breaks_bound', 'reversing the cancellation would take the deductible or the fund cap past its annual bound');
    }
    if ((await ctx.ledger.linesTakenElsewhere(await ctx.ledger.settlementLineIds(orig.setl_id), orig.setl_id)) > 0) {
      throw new Refusal('later_message_depends', `the fee lines of settlement ${orig.setl_id} were since settled again or withdrawn`);
    }
  }
  await undo(ctx, rec, 'reversal', await ctx.ledger.debits(rec.setl_id));
  return {};
}

async function reconcileTotals(ctx: Ctx, d: Inputs['3201']['data']) {
  const rows = (await ctx.ledger.recordsForReconciliation({ fixmedins_code: ctx.institution.fixmedins_code, from: d.stmt_begndate, to: d.stmt_enddate, setl_optins: d.setl_optins || undefined }))
    .filter((r) => r.insutype === d.insutype && r.clr_type === d.clr_type)
    .filter((r) => (d.refd_setl_flag === '1' ? true : r.kind === 'settle' && r.in_force === 1));
  const mine = {
    medfee_sumamt: rows.reduce((s, r) => s + r.medfee_sumamt, 0),
    fund_pay_sumamt: rows.reduce((s, r) => s + r.fund_pay_sumamt, 0),
    acct_pay: rows.reduce((s, r) => s + r.acct_pay, 0),
    fixmedins_setl_cnt: rows.length,
  };
  const diffs: string[] = [];
  for (const f of ['medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const) {
    if (mine[f] !== d[f]) diffs.push(`${f}: yours ${money(d[f]).toFixed(2)}, medpos ${money(mine[f]).toFixed(2)}`);
  }
  if (mine.fixmedins_setl_cnt !== d.fixmedins_setl_cnt) diffs.push(`fixmedins_setl_cnt: yours ${d.fixmedins_setl_cnt}, medpos ${mine.fixmedins_setl_cnt}`);
  return {
    stmtinfo: {
      setl_optins: d.setl_optins ?? ctx.world.data.world.admdvs,
      stmt_rslt: diffs.length ? '1' : '0',
      stmt_rslt_dscr: diffs.length ? `not balanced: ${diffs.join('; ')}` : `balanced: ${mine.fixmedins_setl_cnt} records`,
    },
  };
}

async function reconcileDetails(ctx: Ctx, d: Inputs['3202']['data']) {
  const rows = await ctx.ledger.recordsForReconciliation({ fixmedins_code: ctx.institution.fixmedins_code, from: d.stmt_begndate, to: d.stmt_enddate, setl_optins: d.setl_optins || undefined });
  const mine = new Map(rows.map((r) => [r.setl_id, r]));
  const figures = (r: SettlementRecord) => ({ medfee_sumamt: money(r.medfee_sumamt), fund_pay_sumamt: money(r.fund_pay_sumamt), acct_pay: money(r.acct_pay) });
  const seen = new Set<string>();
  const details = d.details.map((c) => {
    seen.add(c.setl_id);
    const r = mine.get(c.setl_id);
    if (!r) return { setl_id: c.setl_id, mdtrt_id: c.mdtrt_id ?? null, psn_no: c.psn_no ?? null, stmt_rslt: '2', medfee_sumamt: null, fund_pay_sumamt: null, acct_pay: null };
    const same =
      r.medfee_sumamt === c.medfee_sumamt &&
      r.fund_pay_sumamt === c.fund_pay_sumamt &&
      r.acct_pay === c.acct_pay &&
      (c.refd_setl_flag === undefined || c.refd_setl_flag === (r.kind === 'cancel' ? '1' : '0'));
    return { setl_id: r.setl_id, mdtrt_id: r.mdtrt_id, psn_no: r.psn_no, stmt_rslt: same ? '0' : '1', ...figures(r) };
  });
  for (const r of rows) {
    if (!seen.has(r.setl_id)) details.push({ setl_id: r.setl_id, mdtrt_id: r.mdtrt_id, psn_no: r.psn_no, stmt_rslt: '3', ...figures(r) });
  }
  return { details };
}

type Handler<K extends keyof Inputs> = (ctx: Ctx, input: Inputs[K]) => Promise<unknown>;
type InputKey<T extends string> = T extends '2102' ? '2101' : T extends '2207' ? '2206' : T extends '2208' ? '2103' : T;

/** Each transaction code, the input schema it reads, and what it does. */
export const HANDLERS: { [T in keyof Inputs | '2102' | '2207' | '2208']: Handler<InputKey<T> & keyof Inputs> } = {
  '9001': async (ctx, input) => {
    const t = ctx.stamp;
    const sign_no = `${t.compact}${String(await ctx.ledger.nextSeq('sign_no')).padStart(6, '0')}`;
    await ctx.ledger.recordSignIn({ sign_no, fixmedins_code: ctx.institution.fixmedins_code, opter_no: input.signIn.opter_no, at: t.time, msgid: ctx.msgid });
    return { signinoutb: { sign_time: t.time, sign_no } };
  },
  '1101': async (ctx, input) => {
    const who = await identify(ctx.world, input.data, ctx.stamp.date, ctx.tokens);
    return personInfo(ctx, who.patient);
  },
  '1312': async (ctx, input) => {
    const q = input.data ?? {};
    const rows = ctx.world.data.catalog.filter(
      (i) => (!q.hilist_code || i.hilist_code === q.hilist_code) && (!q.hilist_name || i.hilist_name.includes(q.hilist_name)),
    );
    const size = q.page_size ?? 100;
    const page = q.page_num ?? 1;
    return {
      data: rows.slice((page - 1) * size, page * size).map((i) => ({
        ...i,
        selfpay_prop: ratioToNumber(i.selfpay_prop),
        hilist_pric_uplmt_amt: i.hilist_pric_uplmt_amt === null ? null : money(i.hilist_pric_uplmt_amt),
        insu_admdvs: ctx.world.data.world.admdvs,
        barcodes: i.barcodes ?? [],
      })),
      recordCounts: rows.length,
      pageNum: page,
      pageSize: size,
    };
  },
  '2101': (ctx, input) => pharmacy(ctx, input, false),
  '2102': (ctx, input) => pharmacy(ctx, input, true),
  '2103': async (ctx, input) => {
    requireKind(ctx.institution, 'pharmacy', '2103');
    return cancelSettlement(ctx, input.data, '41');
  },
  '2201': async (ctx, input) => {
    requireKind(ctx.institution, 'hospital', '2201');
    const d = input.data;
    const who = await identifyFor(ctx.world, d.psn_no, certOf(d), ctx.stamp.date, ctx.tokens);
    activeInsurance(who.patient, d.insutype);
    const mdtrt_id = await newVisit(ctx, { psn_no: d.psn_no, insutype: d.insutype, med_type: null, cert_type: d.mdtrt_cert_type, cert_no: d.mdtrt_cert_no, payer: who.payer, ipt_otp_no: d.ipt_otp_no, begntime: d.begntime });
    return { data: { mdtrt_id, psn_no: d.psn_no, ipt_otp_no: d.ipt_otp_no } };
  },
  '2202': async (ctx, input) => {
    const d = input.data;
    await openVisit(ctx, d.mdtrt_id, d.psn_no);
    const settled = (await ctx.ledger.feeLines(d.mdtrt_id)).length !== (await ctx.ledger.feeLines(d.mdtrt_id, { unsettledOnly: true })).length;
    if (settled) throw new Refusal('visit_settled', `visit ${d.mdtrt_id} has a settlement in force: cancel it (2208) first`);
    await ctx.ledger.addVisitEvent({ mdtrt_id: d.mdtrt_id, kind: 'cancel', body: JSON.stringify(d), msgid: ctx.msgid, at: ctx.stamp.time });
    return {};
  },
  '2203': async (ctx, input) => {
    const m = input.mdtrtinfo;
    await openVisit(ctx, m.mdtrt_id, m.psn_no);
    checkMedType(ctx.institution, m.med_type);
    await ctx.ledger.addVisitEvent({ mdtrt_id: m.mdtrt_id, kind: 'info', body: JSON.stringify({ ...m, diseinfo: input.diseinfo ?? [] }), msgid: ctx.msgid, at: ctx.stamp.time });
    return {};
  },
  '2204': async (ctx, input) => {
    const date = ctx.stamp.date;
    const byVisit = new Map<string, string[]>();
    for (const l of input.feedetail) byVisit.set(l.mdtrt_id, [...(byVisit.get(l.mdtrt_id) ?? []), l.feedetl_sn]);
    for (const [mdtrtId, sns] of byVisit) {
      const psnNo = input.feedetail.find((l) => l.mdtrt_id === mdtrtId)!.psn_no;
      await openVisit(ctx, mdtrtId, psnNo);
      const existing = (await ctx.ledger.feeLines(mdtrtId)).map((r) => r.feedetl_sn);
      uniqueSn([...existing, ...sns], `in visit ${mdtrtId}`);
    }
    const result = [];
    for (const l of input.feedetail) {
      if (l.psn_no !== (await ctx.ledger.visit(l.mdtrt_id))!.psn_no) throw new Refusal('visit_mismatch', `line ${l.feedetl_sn}: visit ${l.mdtrt_id} is not person ${l.psn_no}'s`);
      const { row } = inputLine(l);
      const split = splitLine(row, ctx.world.catalog.get(l.med_list_codg), date);
      await storeFeeLine(ctx, l.mdtrt_id, l);
      result.push(lineResult(split, row, ctx.world.catalog.get(l.med_list_codg)));
    }
    return { result };
  },
  '2205': async (ctx, input) => {
    const d = input.data;
    await openVisit(ctx, d.mdtrt_id, d.psn_no);
    const rows = await ctx.ledger.feeLines(d.mdtrt_id, { chrgBchno: d.chrg_bchno, unsettledOnly: true });
    if (rows.length === 0) throw new Refusal('no_fee_lines', `visit ${d.mdtrt_id} has no unsettled fee lines to withdraw`);
    for (const r of rows) await ctx.ledger.withdrawFeeLine(r.id, ctx.msgid, ctx.stamp.time);
    return {};
  },
  '2206': (ctx, input) => outpatient(ctx, input.data, false),
  '2207': (ctx, input) => outpatient(ctx, input.data, true),
  '2208': async (ctx, input) => {
    requireKind(ctx.institution, 'hospital', '2208');
    return cancelSettlement(ctx, input.data, '11');
  },
  '2601': (ctx, input) => reverse(ctx, input.data),
  '3201': (ctx, input) => reconcileTotals(ctx, input.data),
  '3202': (ctx, input) => reconcileDetails(ctx, input.data),
};

export const INPUT_OF: Record<keyof typeof HANDLERS, keyof Inputs> = {
  ...(Object.fromEntries(Object.keys(HANDLERS).map((k) => [k, k])) as Record<keyof typeof HANDLERS, keyof Inputs>),
  '2102': '2101',
  '2207': '2206',
  '2208': '2103',
};
