/** The inpatient chain: admission (2401), change (2403), cancel admission (2404). */
import { checkHospital, checkInpatientMedType, requireInpatientPolicy } from '../../../core/inpatient.ts';
import { activeInsurance } from '../../../core/settle.ts';
import { checkNoOpenAdmission, requireVisitTransition, type VisitState } from '../../../core/visit.ts';
import { identifyFor } from '../../identity.ts';
import { certOf, newId, tx, type Chain } from '../shared.ts';
import { requireStay } from './stay.ts';

export const INPATIENT_ADMISSION = {
  '2401': tx('2401', async (ctx, input) => {
    checkHospital(ctx.institution);
    const m = input.mdtrtinfo;
    const who = await identifyFor(ctx.world, m.psn_no, certOf(m), ctx.stamp.date, ctx.tokens);
    checkInpatientMedType(ctx.institution, m.med_type);
    activeInsurance(who.patient, m.insutype);
    requireInpatientPolicy(ctx.world, m.insutype);
    const open = await ctx.ledger.openAdmissions(ctx.institution.fixmedins_code, m.psn_no);
    checkNoOpenAdmission(open.map((v) => ({ mdtrt_id: v.mdtrt_id, state: v.state as VisitState })));
    const mdtrt_id = await newId(ctx, 'M');
    await ctx.ledger.insertVisit({
      mdtrt_id,
      fixmedins_code: ctx.institution.fixmedins_code,
      psn_no: m.psn_no,
      insutype: m.insutype,
      med_type: m.med_type,
      cert_type: m.mdtrt_cert_type,
      cert_no: m.mdtrt_cert_no,
      holder_psn_no: who.payer.kind === 'holder' ? who.payer.holderPsnNo : null,
      ipt_otp_no: m.ipt_no,
      begntime: m.begntime,
      msgid: ctx.msgid,
      at: ctx.stamp.time,
      inpatient: 1,
      state: 'ADMITTED',
      ipt_no: m.ipt_no,
      dise_codg: m.dise_codg ?? null,
      dise_name: m.dise_name ?? null,
      body: JSON.stringify(input),
    });
    return { result: { mdtrt_id } };
  }),
  '2403': tx('2403', async (ctx, input) => {
    const a = input.adminfo;
    const stay = await requireStay(ctx, a.mdtrt_id, a.psn_no);
    requireVisitTransition(stay.state, { kind: 'change' });
    if (a.med_type !== undefined) checkInpatientMedType(ctx.institution, a.med_type);
    await ctx.ledger.updateVisit(a.mdtrt_id, { med_type: a.med_type, begntime: a.begntime, dise_codg: a.dise_codg, dise_name: a.dise_name, body: JSON.stringify(input) });
    return {};
  }),
  '2404': tx('2404', async (ctx, input) => {
    const d = input.data;
    const stay = await requireStay(ctx, d.mdtrt_id, d.psn_no);
    const { live } = await ctx.ledger.stayLineSums(d.mdtrt_id);
    const state = requireVisitTransition(stay.state, { kind: 'cancel_admission', liveLines: live });
    await ctx.ledger.updateVisit(d.mdtrt_id, { state });
    return {};
  }),
} satisfies Chain;
