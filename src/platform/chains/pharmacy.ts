/** The pharmacy chain: pre-settle (2101), settle a sale (2102), cancel it (2103). */
import { checkMedType } from '../../core/settle.ts';
import { identifyFor } from '../identity.ts';
import type { Inputs } from '../inputs.ts';
import { lineResult } from '../outputs.ts';
import { billFor, cancelSettlement, certOf, inputLine, newVisit, priceBill, recordSettlement, requireKind, settlementOutput, storeFeeLines, tx, uniqueSn, type Chain, type Ctx } from './shared.ts';

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
  await storeFeeLines(ctx, mdtrt_id, input.drugdetail.map((l, i) => ({ l, split: lines[i]! })));
  // the visit is this sale's own: its lines are the ones just stored
  return { ...(await recordSettlement(ctx, bill, split, mdtrt_id, d.mdtrt_cert_type, { allOf: mdtrt_id })), detlcutinfo };
}

export const PHARMACY = {
  '2101': tx('2101', (ctx, input) => pharmacy(ctx, input, false)),
  '2102': tx('2101', (ctx, input) => pharmacy(ctx, input, true)),
  '2103': tx('2103', async (ctx, input) => {
    requireKind(ctx.institution, 'pharmacy', '2103');
    return cancelSettlement(ctx, input.data, '41');
  }),
} satisfies Chain;
