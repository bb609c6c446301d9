/**
 * Chronic and special outpatient diseases (inpatient.md section 7): filing (2503), cancel filing
 * (2504), filings (5301). How med_type 14 is priced is the outpatient chain's (core/chronic.ts).
 */
import { checkFilingCancel, checkNewFiling, type FilingFacts } from '../../core/chronic.ts';
import { checkHospital } from '../../core/inpatient.ts';
import { Refusal } from '../../core/settle.ts';
import type { Person } from '../../core/world.ts';
import { newId, tx, type Chain, type Ctx } from './shared.ts';

/** The person a filing or query names: person_unknown when the platform has none. */
export function namedPerson(ctx: Ctx, psnNo: string): Person {
  const p = ctx.world.persons.get(psnNo);
  if (!p) throw new Refusal('person_unknown', `no insured person ${psnNo}`);
  return p;
}

/** The person's filings, the world's then 2503's, cancelled ones included, as the core rules read them. */
export async function filingsOf(ctx: Ctx, psnNo: string): Promise<FilingFacts[]> {
  return (await ctx.ledger.filings(psnNo)).map((f) => ({ ...f, cancelled: f.cancelled === 1 }));
}

/** A filing as 5301 lists it; a world filing without a name takes the policy's name of the disease. */
function filingRow(ctx: Ctx, f: FilingFacts) {
  const opsp_dise_name = f.opsp_dise_name ?? ctx.world.chronicPolicy(f.insutype)?.[f.opsp_dise_code]?.opsp_dise_name ?? '';
  return { trt_dcla_detl_sn: f.trt_dcla_detl_sn, insutype: f.insutype, opsp_dise_code: f.opsp_dise_code, opsp_dise_name, begndate: f.begndate, enddate: f.enddate };
}

export const CHRONIC = {
  '2503': tx('2503', async (ctx, input) => {
    checkHospital(ctx.institution);
    const d = input.data;
    const person = namedPerson(ctx, d.psn_no);
    const want = { insutype: d.insutype, opsp_dise_code: d.opsp_dise_code, begndate: d.begndate, enddate: d.enddate ?? null };
    const rule = checkNewFiling(ctx.world, person, want, await filingsOf(ctx, d.psn_no));
    const trt_dcla_detl_sn = await newId(ctx, 'F');
    const opsp_dise_name = d.opsp_dise_name ?? rule.opsp_dise_name ?? null;
    await ctx.ledger.insertFiling({ trt_dcla_detl_sn, psn_no: d.psn_no, ...want, opsp_dise_name, msgid: ctx.msgid, at: ctx.stamp.time });
    return { result: { trt_dcla_detl_sn } };
  }),
  '2504': tx('2504', async (ctx, input) => {
    const d = input.data;
    namedPerson(ctx, d.psn_no);
    const f = await ctx.ledger.filing(d.trt_dcla_detl_sn);
    checkFilingCancel(f && { ...f, cancelled: f.cancelled === 1 }, d.psn_no, d.trt_dcla_detl_sn);
    await ctx.ledger.cancelFiling(d.trt_dcla_detl_sn, ctx.msgid, ctx.stamp.time);
    return {};
  }),
  '5301': tx('5301', async (ctx, input) => {
    namedPerson(ctx, input.data.psn_no);
    return { feedetail: (await filingsOf(ctx, input.data.psn_no)).filter((f) => !f.cancelled).map((f) => filingRow(ctx, f)) };
  }),
} satisfies Chain;
