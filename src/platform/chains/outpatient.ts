/** The outpatient chain at a hospital: register (2201), cancel (2202), visit information (2203), fee lines (2204, 2205), pre-settle and settle (2206, 2207), cancel a settlement (2208). */
import { checkChronicFiled, usesChronicPolicy } from '../../core/chronic.ts';
import { activeInsurance, checkMedType, Refusal, splitLine } from '../../core/settle.ts';
import { filingsOf } from './chronic.ts';
import { identifyFor } from '../identity.ts';
import type { Inputs } from '../inputs.ts';
import { lineResult } from '../outputs.ts';
import { billFor, cancelSettlement, certOf, inputLine, newVisit, openVisit, priceBill, recordSettlement, requireKind, rowLine, settlementOutput, storeFeeLines, tx, uniqueSn, type Chain, type Ctx } from './shared.ts';

/**
 * med_type 14 under a `chronic` policy (inpatient.md section 7) needs a filing in force for the
 * disease on `date` (else chronic_not_filed); returns the disease whose policy prices the bill, or
 * undefined where the visit is priced by the outpatient policy.
 */
async function chronicDisease(ctx: Ctx, psnNo: string, insutype: string, medType: string, diseCodg: string | null | undefined): Promise<string | undefined> {
  if (!usesChronicPolicy(ctx.world, insutype, medType)) return undefined;
  checkChronicFiled(await filingsOf(ctx, psnNo), insutype, diseCodg, ctx.stamp.date);
  return diseCodg!;
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
  const { split } = await priceBill(ctx, bill, await chronicDisease(ctx, d.psn_no, d.insutype, d.med_type, visit.dise_codg));
  if (!settle) return settlementOutput(ctx, bill, split, d.mdtrt_cert_type, { mdtrt_id: d.mdtrt_id });
  return recordSettlement(ctx, bill, split, d.mdtrt_id, d.mdtrt_cert_type, rows.map((r) => r.id));
}

export const OUTPATIENT = {
  '2201': tx('2201', async (ctx, input) => {
    requireKind(ctx.institution, 'hospital', '2201');
    const d = input.data;
    const who = await identifyFor(ctx.world, d.psn_no, certOf(d), ctx.stamp.date, ctx.tokens);
    activeInsurance(who.patient, d.insutype);
    const mdtrt_id = await newVisit(ctx, { psn_no: d.psn_no, insutype: d.insutype, med_type: null, cert_type: d.mdtrt_cert_type, cert_no: d.mdtrt_cert_no, payer: who.payer, ipt_otp_no: d.ipt_otp_no, begntime: d.begntime });
    return { data: { mdtrt_id, psn_no: d.psn_no, ipt_otp_no: d.ipt_otp_no } };
  }),
  '2202': tx('2202', async (ctx, input) => {
    const d = input.data;
    await openVisit(ctx, d.mdtrt_id, d.psn_no);
    const settled = (await ctx.ledger.feeLines(d.mdtrt_id)).length !== (await ctx.ledger.feeLines(d.mdtrt_id, { unsettledOnly: true })).length;
    if (settled) throw new Refusal('visit_settled', `visit ${d.mdtrt_id} has a settlement in force: cancel it (2208) first`);
    await ctx.ledger.addVisitEvent({ mdtrt_id: d.mdtrt_id, kind: 'cancel', body: JSON.stringify(d), msgid: ctx.msgid, at: ctx.stamp.time });
    return {};
  }),
  '2203': tx('2203', async (ctx, input) => {
    const m = input.mdtrtinfo;
    const visit = await openVisit(ctx, m.mdtrt_id, m.psn_no);
    checkMedType(ctx.institution, m.med_type);
    await chronicDisease(ctx, m.psn_no, visit.insutype, m.med_type, m.dise_codg);
    // the last 2203's disease is the one 2206/2207 check and price a med_type 14 visit by
    await ctx.ledger.updateVisit(m.mdtrt_id, { dise_codg: m.dise_codg ?? null, dise_name: m.dise_name ?? null });
    await ctx.ledger.addVisitEvent({ mdtrt_id: m.mdtrt_id, kind: 'info', body: JSON.stringify({ ...m, diseinfo: input.diseinfo ?? [] }), msgid: ctx.msgid, at: ctx.stamp.time });
    return {};
  }),
  '2204': tx('2204', async (ctx, input) => {
    const date = ctx.stamp.date;
    const byVisit = new Map<string, (typeof input.feedetail)[number][]>();
    for (const l of input.feedetail) {
      const lines = byVisit.get(l.mdtrt_id);
      if (lines) lines.push(l);
      else byVisit.set(l.mdtrt_id, [l]);
    }
    for (const [mdtrtId, lines] of byVisit) {
      const visit = await openVisit(ctx, mdtrtId, lines[0]!.psn_no);
      const stray = lines.find((l) => l.psn_no !== visit.psn_no);
      if (stray) throw new Refusal('visit_mismatch', `line ${stray.feedetl_sn}: visit ${mdtrtId} is not person ${stray.psn_no}'s`);
      const existing = (await ctx.ledger.feeLines(mdtrtId)).map((r) => r.feedetl_sn);
      uniqueSn([...existing, ...lines.map((l) => l.feedetl_sn)], `in visit ${mdtrtId}`);
    }
    const priced = new Map(input.feedetail.map((l) => {
      const { row } = inputLine(l);
      const item = ctx.world.catalog.get(l.med_list_codg);
      const split = splitLine(row, item, date);
      return [l, { split, result: lineResult(split, row, item) }];
    }));
    // one statement per visit, its lines in the order sent
    for (const [mdtrtId, lines] of byVisit) await storeFeeLines(ctx, mdtrtId, lines.map((l) => ({ l, split: priced.get(l)!.split })));
    return { result: input.feedetail.map((l) => priced.get(l)!.result) };
  }),
  '2205': tx('2205', async (ctx, input) => {
    const d = input.data;
    await openVisit(ctx, d.mdtrt_id, d.psn_no);
    const rows = await ctx.ledger.feeLines(d.mdtrt_id, { chrgBchno: d.chrg_bchno, unsettledOnly: true });
    if (rows.length === 0) throw new Refusal('no_fee_lines', `visit ${d.mdtrt_id} has no unsettled fee lines to withdraw`);
    for (const r of rows) await ctx.ledger.withdrawFeeLine(r.id, ctx.msgid, ctx.stamp.time);
    return {};
  }),
  '2206': tx('2206', (ctx, input) => outpatient(ctx, input.data, false)),
  '2207': tx('2206', (ctx, input) => outpatient(ctx, input.data, true)),
  '2208': tx('2103', async (ctx, input) => {
    requireKind(ctx.institution, 'hospital', '2208');
    return cancelSettlement(ctx, input.data, '11');
  }),
} satisfies Chain;
