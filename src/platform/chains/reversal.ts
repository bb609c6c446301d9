/** Reversing an applied message (2601): its settlement record undone by a reversal record. */
import { Refusal } from '../../core/settle.ts';
import type { Inputs } from '../inputs.ts';
import { restoreStaySettlement, reverseAdmission, undoStaySettlement } from './inpatient/settlement.ts';
import { tx, undo, type Chain, type Ctx } from './shared.ts';

async function reverse(ctx: Ctx, d: Inputs['2601']['data']) {
  const msg = await ctx.ledger.findMessage(d.omsgid);
  if (!msg || msg.fixmedins_code !== ctx.institution.fixmedins_code) throw new Refusal('msgid_unknown', `message ${d.omsgid} was never applied here: nothing to reverse`);
  if (msg.infno !== d.oinfno) throw new Refusal('msgid_unknown', `message ${d.omsgid} was a ${msg.infno}, not a ${d.oinfno}`);
  if (msg.infno === '2401') {
    await reverseAdmission(ctx, msg.response, d.psn_no);
    return {};
  }
  const rec = await ctx.ledger.settlementByMsgid(d.omsgid);
  if (!rec) throw new Refusal('msgid_unknown', `message ${d.omsgid} left no settlement record to reverse`);
  if (rec.psn_no !== d.psn_no) throw new Refusal('psn_mismatch', `message ${d.omsgid} was not for person ${d.psn_no}`);
  const undone = await ctx.ledger.undoneBy(rec.setl_id);
  if (undone?.kind === 'reversal') return {}; // already reversed: 2601 is idempotent
  if (undone) throw new Refusal('later_message_depends', `settlement ${rec.setl_id} was since cancelled (${undone.setl_id}); reverse that first`);
  if (rec.clr_type === '21') {
    // an inpatient record: its own rules of order (inpatient.md section 3, 2601)
    if (rec.kind === 'cancel') await restoreStaySettlement(ctx, rec);
    else await undoStaySettlement(ctx, { setl_id: rec.setl_id, psn_no: d.psn_no }, '2601');
    return {};
  }
  if (rec.kind === 'cancel') {
    // Undoing a cancellation charges the settlement again: it must still fit every bound.
    const orig = (await ctx.ledger.settlement(rec.init_setl_id!))!;
    for (const debit of await ctx.ledger.debits(orig.setl_id)) {
      if ((await ctx.ledger.balance(debit.psn_no)) < debit.amount) {
        throw new Refusal('reversal_breaks_bound', `reversing the cancellation would overdraw the personal account of ${debit.psn_no}`);
      }
    }
    const rules = ctx.world.policy.insutype[orig.insutype];
    if (orig.chr_dise_code) {
      // a chronic settlement (med_type 14) charged its disease's counters, whose bounds are the disease's
      const disease = ctx.world.chronicPolicy(orig.insutype)?.[orig.chr_dise_code];
      const c = await ctx.ledger.chronicCounters(orig.psn_no, orig.insutype, orig.year, orig.chr_dise_code);
      if (disease && (c.dedc_used + (orig.d_chr_dedc_used ?? 0) > disease.deductible || c.fund_used + (orig.d_chr_fund_used ?? 0) > disease.cap)) {
        throw new Refusal('reversal_breaks_bound', `reversing the cancellation would take the deductible or the cap of chronic disease ${orig.chr_dise_code} past its annual bound`);
      }
    } else {
      const c = await ctx.ledger.counters(orig.psn_no, orig.insutype, orig.year);
      if (rules && (c.dedcUsed + orig.act_pay_dedc > rules.deductible || c.fundUsed + orig.hifp_pay > rules.cap)) {
        throw new Refusal('reversal_breaks_bound', 'reversing the cancellation would take the deductible or the fund cap past its annual bound');
      }
    }
    if ((await ctx.ledger.linesTakenElsewhere(await ctx.ledger.settlementLineIds(orig.setl_id), orig.setl_id)) > 0) {
      throw new Refusal('later_message_depends', `the fee lines of settlement ${orig.setl_id} were since settled again or withdrawn`);
    }
  }
  await undo(ctx, rec, 'reversal', await ctx.ledger.debits(rec.setl_id));
  return {};
}

export const REVERSAL = {
  '2601': tx('2601', (ctx, input) => reverse(ctx, input.data)),
} satisfies Chain;
