/** The inpatient chain: discharge (2402) and cancel discharge (2405). */
import { checkDischargeTime, requireVisitTransition } from '../../../core/visit.ts';
import { tx, type Chain } from '../shared.ts';
import { requireStay } from './stay.ts';

export const INPATIENT_DISCHARGE = {
  '2402': tx('2402', async (ctx, input) => {
    const d = input.dscginfo;
    const stay = await requireStay(ctx, d.mdtrt_id, d.psn_no, d.insutype);
    const state = requireVisitTransition(stay.state, { kind: 'discharge' });
    checkDischargeTime(stay.begntime ?? d.endtime, d.endtime);
    await ctx.ledger.updateVisit(d.mdtrt_id, { state, endtime: d.endtime, dscg_way: d.dscg_way ?? null, dise_codg: d.dise_codg, dise_name: d.dise_name });
    return {};
  }),
  '2405': tx('2405', async (ctx, input) => {
    const d = input.data;
    const stay = await requireStay(ctx, d.mdtrt_id, d.psn_no);
    const state = requireVisitTransition(stay.state, { kind: 'cancel_discharge' });
    await ctx.ledger.updateVisit(d.mdtrt_id, { state, endtime: null, dscg_way: null });
    return {};
  }),
} satisfies Chain;
