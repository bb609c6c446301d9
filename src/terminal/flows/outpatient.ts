/**
 * The outpatient flow (a hospital's fee window): 2201 registration with 2203 visit info, the fee
 * lines uploaded by 2204 in rounds (withdrawn by 2205 when the cashier changes them), 2206/2207
 * on the uploaded batch, and withdrawing a visit that was never settled (2205 + 2202).
 */
import { stamp } from '../../core/clock.ts';
import { log } from '../../log.ts';
import { TerminalError } from '../errors.ts';
import { certInput, lineSplit, yuan, type Checkout, type Patient, type PricedLine, type Setl, type Visit } from '../model.ts';
import type { PendingHold, Terminal } from '../terminal.ts';
import { feeDetail } from './checkout.ts';

export async function ensureRegistered(t: Terminal, co: Checkout): Promise<Visit> {
  if (co.mode !== 'outpatient') throw new TerminalError('wrong_mode', '药店不需要挂号 (pharmacies do not register visits)', 409);
  if (co.visit) return co.visit;
  const p = t.needPatient(co);
  const cashier = t.cashier!;
  const ipt = `MZ${stamp(t.clock).compact}${String((await t.nextSeq('terminal_ipt_otp')) % 100).padStart(2, '0')}`;
  const out = await t.call(
    '2201',
    { data: { psn_no: p.psn_no, insutype: co.insutype, begntime: co.begntime, ...certInput(p.cert), ipt_otp_no: ipt, atddr_no: cashier.opter_no, dr_name: cashier.opter_name, dept_code: 'MZ01', dept_name: '门诊' } },
    p.psn_no,
    co.insutype!,
  );
  const mdtrtId = (out.data as { mdtrt_id: string }).mdtrt_id;
  co.visit = { mdtrt_id: mdtrtId, ipt_otp_no: ipt, uploadedSig: null, round: 0, batch: null };
  await sendVisitInfo(t, co, p);
  t.notice('info', `已挂号 (registered) 门诊号 ${ipt}`);
  return co.visit;
}

/** 2203: the visit's med_type and diagnosis (for 14, the filed disease: `dise_codg` = `opsp_dise_code`). */
async function sendVisitInfo(t: Terminal, co: Checkout, p: Patient): Promise<void> {
  const d = co.dise;
  await t.call(
    '2203',
    {
      mdtrtinfo: { mdtrt_id: co.visit!.mdtrt_id, psn_no: p.psn_no, med_type: co.medType, ...(d ? { dise_codg: d.code, dise_name: d.name, main_cond_dscr: d.name } : {}) },
      diseinfo: d ? [{ diag_type: '1', diag_srt_no: '1', diag_code: d.code, diag_name: d.name, diag_dept: '门诊', dise_dor_no: t.cashier!.opter_no, dise_dor_name: t.cashier!.opter_name, diag_time: co.begntime }] : [],
    },
    p.psn_no,
    co.insutype!,
  );
}

/** The outpatient med_type and diagnosis; on a registered visit 2203 is sent again (it replaces the visit info). */
export async function setDiagnosis(t: Terminal, q: { med_type: '11' | '14'; dise_codg?: string | undefined; dise_name?: string | undefined }): Promise<unknown> {
  t.requireCashier();
  const co = t.current();
  if (co.mode !== 'outpatient') throw new TerminalError('wrong_mode', '药店没有门诊诊断 (pharmacies record no diagnosis)', 409);
  if (q.med_type === '14' && !q.dise_codg) throw new TerminalError('dise_missing', '门诊慢特病须选择已备案的病种 (med_type 14 needs the filed disease)');
  const before = { medType: co.medType, dise: co.dise };
  co.medType = q.med_type;
  co.dise = q.dise_codg ? { code: q.dise_codg, name: q.dise_name ?? q.dise_codg } : null;
  t.invalidate(co);
  if (co.visit) {
    try {
      await sendVisitInfo(t, co, t.needPatient(co));
    } catch (err) {
      Object.assign(co, before);
      throw err;
    }
  }
  t.notice('info', `医疗类别 ${co.medType}${co.dise ? `，诊断 ${co.dise.code} ${co.dise.name}` : ''}`);
  t.publish();
  return t.view();
}

/** The patient's chronic-disease filings not cancelled (5301), of the checkout's insutype. */
export async function filings(t: Terminal): Promise<unknown[]> {
  const co = t.current();
  const p = t.needPatient(co);
  const out = await t.call('5301', { data: { psn_no: p.psn_no } }, p.psn_no, co.insutype!);
  return ((out.feedetail as Array<Record<string, unknown>> | undefined) ?? []).filter((f) => f.insutype === co.insutype);
}

/** 2204 (when the lines changed since the last upload) then 2206, or 2207 when `hold` names the settlement request kept in the till. */
export async function settleVisit(t: Terminal, co: Checkout, p: Patient, lines: PricedLine[], hold: PendingHold | undefined): Promise<Setl> {
  const settle = hold !== undefined;
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const insutype = co.insutype!;
  const visit = await ensureRegistered(t, co);
  const sig = JSON.stringify(lines.map((l) => [l.no, l.hilist_code, l.pric, l.cnt_e4, l.hosp_appr_flag, l.trace_code]));
  if (visit.uploadedSig !== sig) {
    if (visit.uploadedSig !== null) await t.call('2205', { data: { mdtrt_id: visit.mdtrt_id, chrg_bchno: '0000', psn_no: p.psn_no } }, p.psn_no, insutype);
    visit.uploadedSig = null;
    visit.round += 1;
    const batch = `B${visit.round}`;
    const out = await t.call(
      '2204',
      { feedetail: lines.map((l) => feeDetail(l, `R${visit.round}-${l.no}`, { mdtrt_id: visit.mdtrt_id, psn_no: p.psn_no, chrg_bchno: batch, fee_ocur_time: co.begntime })) },
      p.psn_no,
      insutype,
    );
    const result = out.result as Array<Record<string, unknown>>;
    lines.forEach((l, i) => {
      co.lines.find((x) => x.no === l.no)!.split = lineSplit(result[i]!);
    });
    visit.uploadedSig = sig;
    visit.batch = batch;
  }
  const out = await t.call(
    settle ? '2207' : '2206',
    { data: { psn_no: p.psn_no, ...certInput(p.cert), med_type: co.medType, medfee_sumamt: yuan(total), psn_setlway: '01', mdtrt_id: visit.mdtrt_id, chrg_bchno: visit.batch, acct_used_flag: co.acctUsed ? '1' : '0', insutype } },
    p.psn_no,
    insutype,
    hold,
  );
  return out.setlinfo as Setl;
}

/** A visit registered here and not settled: withdraw its lines and cancel the registration. */
export async function withdrawVisit(t: Terminal, co: Checkout): Promise<void> {
  if (!co.visit || !co.patient) return;
  const p = co.patient;
  try {
    if (co.visit.uploadedSig) await t.call('2205', { data: { mdtrt_id: co.visit.mdtrt_id, chrg_bchno: '0000', psn_no: p.psn_no } }, p.psn_no, co.insutype ?? undefined);
    await t.call('2202', { data: { psn_no: p.psn_no, mdtrt_id: co.visit.mdtrt_id, ipt_otp_no: co.visit.ipt_otp_no } }, p.psn_no, co.insutype ?? undefined);
  } catch (err) {
    log.warn({ err_code: (err as TerminalError).err_code }, 'could not cancel the voided checkout visit');
  }
}
