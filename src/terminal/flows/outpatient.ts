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
  await t.call('2203', { mdtrtinfo: { mdtrt_id: mdtrtId, psn_no: p.psn_no, med_type: '11' }, diseinfo: [] }, p.psn_no, co.insutype!);
  co.visit = { mdtrt_id: mdtrtId, ipt_otp_no: ipt, uploadedSig: null, round: 0, batch: null };
  t.notice('info', `已挂号 (registered) 门诊号 ${ipt}`);
  return co.visit;
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
    { data: { psn_no: p.psn_no, ...certInput(p.cert), med_type: '11', medfee_sumamt: yuan(total), psn_setlway: '01', mdtrt_id: visit.mdtrt_id, chrg_bchno: visit.batch, acct_used_flag: co.acctUsed ? '1' : '0', insutype } },
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
