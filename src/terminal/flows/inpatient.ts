/**
 * The inpatient window (a hospital's 住院 desk), against the transaction interface of inpatient.md:
 * find the patient's open stay (5201, then its live lines by 5204) or admit them (2401), upload the
 * day's fees and refund lines (2301), withdraw a line (2302), discharge (2402) and cancel it (2405),
 * trial-settle (2303) and settle (2304, mid-stay or final), cancel a settlement (2305) or an
 * admission (2404), and the 住院结算单. The patient is identified in the checkout's identify step
 * (card, e-certificate, ID number); a stay keeps the certificate it was admitted with.
 */
import { localDateTime, stamp } from '../../core/clock.ts';
import { lineAmount, type Fen } from '../../core/money.ts';
import { maskId } from '../../core/mask.ts';
import { log } from '../../log.ts';
import { TerminalError } from '../errors.ts';
import { certInput, fen, lineSplit, yuan, type Cashier, type LineSplitView, type Patient, type Setl } from '../model.ts';
import type { CertRecord, SaleDraft, SaleLineRecord, Tender } from '../store.ts';
import type { Terminal } from '../terminal.ts';
import { recordSale } from './checkout.ts';
import { view } from '../inpatient-view.ts';

export { statement, view } from '../inpatient-view.ts';

export type StayState = 'ADMITTED' | 'DISCHARGED' | 'SETTLED' | 'CANCELLED';
const STATE_OF_INHOSP: Record<string, StayState> = { '1': 'ADMITTED', '2': 'DISCHARGED', '3': 'SETTLED', '9': 'CANCELLED' };

export interface StayLine {
  feedetl_sn: string;
  init_feedetl_sn: string | null;
  hilist_code: string;
  name: string;
  chrgitm_lv: string | null;
  pric: Fen;
  /** Count x 10 000, negative on a refund line. */
  cnt_e4: number;
  /** Signed: a refund line's amount is negative. */
  amount: Fen;
  fee_ocur_time: string;
  split: LineSplitView | null;
  setl_id: string | null;
}

export interface StaySettlement {
  setl_id: string;
  mid: boolean;
  setlinfo: Setl;
  setldetail: Setl[];
  cancel_setl_id: string | null;
  lines: string[];
}

export interface Stay {
  mdtrt_id: string;
  ipt_no: string;
  patient: Pick<Patient, 'psn_no' | 'name' | 'certno' | 'insuinfo'>;
  cert: CertRecord;
  insutype: string;
  med_type: string;
  dise_codg: string | null;
  begntime: string;
  endtime: string | null;
  state: StayState;
  lines: StayLine[];
  nextSn: number;
  trial: { setlinfo: Setl; setldetail: Setl[]; mid: boolean; acctUsed: boolean; sig: string } | null;
  settlements: StaySettlement[];
}

/** The stays this terminal has on its desk, and the one on screen. */
export class Ward {
  readonly stays = new Map<string, Stay>();
  current: string | null = null;
}

export interface AdmitQuery {
  med_type: '21' | '22' | '28';
  dise_codg?: string | undefined;
  dise_name?: string | undefined;
}
export interface FeeInput {
  hilist_code: string;
  pric: Fen;
  cnt_e4: number;
}

function stayOnScreen(t: Terminal): Stay {
  const s = t.ward.current ? t.ward.stays.get(t.ward.current) : undefined;
  if (!s) throw new TerminalError('no_stay', '没有打开的住院：请先识别患者并查找或办理入院 (find or admit a patient first)', 409);
  return s;
}

/** A stay whose settlement was sent and not answered is frozen: only settling again (same msgid) resolves it. */
function refusePending(t: Terminal, s: Stay): void {
  if (t.store.pending(settlePurpose(s))) throw new TerminalError('settlement_pending', '结算请求已发出但未收到应答：请在医保平台恢复后再次点“确认结算”，将以同一报文号重发 (a settlement is pending)', 409);
}

const refuseUnless = (s: Stay, ...ok: StayState[]) => {
  if (!ok.includes(s.state)) throw new TerminalError(`stay_${s.state.toLowerCase()}`, `本次住院状态为 ${STATE_NAMES[s.state]}，不能进行此操作 (the stay is ${s.state})`, 409);
};
export const STATE_NAMES: Record<StayState, string> = { ADMITTED: '在院', DISCHARGED: '已出院', SETTLED: '已结算', CANCELLED: '已撤销' };

/** The patient identified at the checkout's identify step. */
function identified(t: Terminal): Patient & { insutype: string } {
  const co = t.co;
  if (!co || co.state !== 'open' || !co.patient || !co.insutype) throw new TerminalError('not_identified', '请先在“识别顾客”中读卡、扫电子凭证或输入身份证号 (identify the patient first)', 409);
  return { ...co.patient, insutype: co.insutype };
}

/** The identified patient's open stay here: one already on this desk, else one the platform knows (5201, lines by 5204). */
export async function findStay(t: Terminal): Promise<unknown> {
  t.requireCashier();
  const p = identified(t);
  const open = [...t.ward.stays.values()].find((s) => s.patient.psn_no === p.psn_no && (s.state === 'ADMITTED' || s.state === 'DISCHARGED'));
  if (open) {
    t.ward.current = open.mdtrt_id;
    return view(t);
  }
  const out = await t.call('5201', { data: { psn_no: p.psn_no } }, p.psn_no, p.insutype);
  const visits = ((out.mdtrtinfo as Array<Record<string, unknown>> | undefined) ?? []).filter((v) => v.inhosp_stas === '1' || v.inhosp_stas === '2');
  const v = visits.at(-1);
  if (!v) throw new TerminalError('no_open_stay', '该患者在本院没有在院记录：请办理入院 (no open stay here: admit the patient)', 404);
  const stay = newStay(p, String(v.mdtrt_id), String(v.ipt_otp_no ?? ''), String(v.insutype), String(v.med_type), String(v.begntime), (v.dise_codg as string | null) ?? null);
  stay.state = STATE_OF_INHOSP[String(v.inhosp_stas)]!;
  stay.endtime = (v.endtime as string | null) ?? null;
  const fees = await t.call('5204', { data: { psn_no: p.psn_no, mdtrt_id: stay.mdtrt_id } }, p.psn_no, stay.insutype);
  for (const d of (fees.feedetail as Array<Record<string, unknown>> | undefined) ?? []) {
    const item = t.world.catalog.get(String(d.med_list_codg));
    stay.lines.push({
      feedetl_sn: String(d.feedetl_sn),
      init_feedetl_sn: (d.init_feedetl_sn as string | null) ?? null,
      hilist_code: String(d.med_list_codg),
      name: item?.hilist_name ?? String(d.med_list_codg),
      chrgitm_lv: item?.chrgitm_lv ?? null,
      pric: fen(d.pric),
      cnt_e4: Math.round(Number(d.cnt) * 10_000),
      amount: fen(d.det_item_fee_sumamt),
      fee_ocur_time: String(d.fee_ocur_time ?? ''),
      split: lineSplit(d),
      setl_id: (d.setl_id as string | null) ?? null,
    });
  }
  stay.nextSn = stay.lines.length + 1;
  t.ward.stays.set(stay.mdtrt_id, stay);
  t.ward.current = stay.mdtrt_id;
  return view(t);
}

function newStay(p: Patient & { insutype: string }, mdtrtId: string, iptNo: string, insutype: string, medType: string, begntime: string, dise: string | null): Stay {
  return {
    mdtrt_id: mdtrtId,
    ipt_no: iptNo,
    patient: { psn_no: p.psn_no, name: p.name, certno: p.certno, insuinfo: p.insuinfo },
    cert: p.cert,
    insutype,
    med_type: medType,
    dise_codg: dise,
    begntime,
    endtime: null,
    state: 'ADMITTED',
    lines: [],
    nextSn: 1,
    trial: null,
    settlements: [],
  };
}

/** 2401: the identified patient is admitted under the insutype chosen at identification. */
export async function admit(t: Terminal, q: AdmitQuery): Promise<unknown> {
  const cashier = t.requireCashier();
  const p = identified(t);
  const iptNo = `ZY${stamp(t.clock).compact}${String((await t.nextSeq('terminal_ipt_no')) % 100).padStart(2, '0')}`;
  const begntime = localDateTime(t.clock);
  const out = await t.call(
    '2401',
    {
      mdtrtinfo: {
        psn_no: p.psn_no,
        insutype: p.insutype,
        begntime,
        ...certInput(p.cert),
        med_type: q.med_type,
        ipt_no: iptNo,
        atddr_no: cashier.opter_no,
        chfpdr_name: cashier.opter_name,
        adm_dept_codg: 'ZY01',
        adm_dept_name: '住院部',
        ...(q.dise_codg ? { dise_codg: q.dise_codg, dise_name: q.dise_name ?? q.dise_codg } : {}),
      },
      diseinfo: q.dise_codg ? [{ psn_no: p.psn_no, diag_type: '1', maindiag_flag: '1', diag_srt_no: '1', diag_code: q.dise_codg, diag_name: q.dise_name ?? q.dise_codg, diag_time: begntime }] : [],
    },
    p.psn_no,
    p.insutype,
  );
  const mdtrtId = (out.result as { mdtrt_id: string }).mdtrt_id;
  const stay = newStay(p, mdtrtId, iptNo, p.insutype, q.med_type, begntime, q.dise_codg ?? null);
  t.ward.stays.set(mdtrtId, stay);
  t.ward.current = mdtrtId;
  log.info({ mdtrt_id: mdtrtId, psn: maskId(p.certno) }, 'admitted');
  return view(t);
}

const feeRow = (s: Stay, l: StayLine) => ({
  feedetl_sn: l.feedetl_sn,
  ...(l.init_feedetl_sn ? { init_feedetl_sn: l.init_feedetl_sn } : {}),
  mdtrt_id: s.mdtrt_id,
  psn_no: s.patient.psn_no,
  med_type: s.med_type,
  fee_ocur_time: l.fee_ocur_time,
  med_list_codg: l.hilist_code,
  medins_list_codg: l.hilist_code,
  det_item_fee_sumamt: yuan(l.amount),
  cnt: l.cnt_e4 / 10_000,
  pric: yuan(l.pric),
  bilg_dept_codg: 'ZY01',
  bilg_dept_name: '住院部',
  hosp_appr_flag: '0',
});

/** 2301 of new lines, all or nothing; each line's split as the platform answered it, in request order. */
async function upload(t: Terminal, s: Stay, lines: StayLine[]): Promise<void> {
  const out = await t.call('2301', { feedetail: lines.map((l) => feeRow(s, l)) }, s.patient.psn_no, s.insutype);
  const result = (out.result as Array<Record<string, unknown>> | undefined) ?? [];
  lines.forEach((l, i) => {
    l.split = result[i] ? lineSplit(result[i]) : null;
  });
  s.lines.push(...lines);
  s.nextSn += lines.length;
  s.trial = null;
}

/** The day's fees: 1 to 1000 lines in one 2301. */
export async function uploadFees(t: Terminal, fees: FeeInput[]): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, 'ADMITTED');
  const now = localDateTime(t.clock);
  const lines = fees.map((f, i): StayLine => {
    const item = t.world.catalog.get(f.hilist_code);
    return {
      feedetl_sn: String(s.nextSn + i).padStart(4, '0'),
      init_feedetl_sn: null,
      hilist_code: f.hilist_code,
      name: item?.hilist_name ?? '目录外项目 (not in the catalog)',
      chrgitm_lv: item?.chrgitm_lv ?? null,
      pric: f.pric,
      cnt_e4: f.cnt_e4,
      amount: lineAmount(f.pric * 100, f.cnt_e4),
      fee_ocur_time: now,
      split: null,
      setl_id: null,
    };
  });
  await upload(t, s, lines);
  return view(t);
}

/** A refund line of `cnt_e4` (positive here; sent negative) against an uploaded, unsettled line. */
export async function refundFee(t: Terminal, feedetlSn: string, cntE4: number): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, 'ADMITTED');
  const orig = s.lines.find((l) => l.feedetl_sn === feedetlSn && l.cnt_e4 > 0);
  if (!orig) throw new TerminalError('fee_line_unknown', `没有费用明细 ${feedetlSn} (no such positive line)`, 404);
  const line: StayLine = {
    ...orig,
    feedetl_sn: String(s.nextSn).padStart(4, '0'),
    init_feedetl_sn: orig.feedetl_sn,
    cnt_e4: -cntE4,
    amount: -lineAmount(orig.pric * 100, cntE4),
    fee_ocur_time: localDateTime(t.clock),
    split: null,
    setl_id: null,
  };
  await upload(t, s, [line]);
  return view(t);
}

/** 2302 of one live unsettled line. */
export async function withdrawFee(t: Terminal, feedetlSn: string): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, 'ADMITTED');
  await t.call('2302', { data: { mdtrt_id: s.mdtrt_id, psn_no: s.patient.psn_no, feedetl_sn: feedetlSn } }, s.patient.psn_no, s.insutype);
  s.lines = s.lines.filter((l) => l.feedetl_sn !== feedetlSn);
  s.trial = null;
  return view(t);
}

export async function discharge(t: Terminal): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, 'ADMITTED');
  const endtime = localDateTime(t.clock);
  await t.call('2402', { dscginfo: { mdtrt_id: s.mdtrt_id, psn_no: s.patient.psn_no, insutype: s.insutype, endtime, dscg_way: '1', dscg_dept_codg: 'ZY01', dscg_dept_name: '住院部' }, diseinfo: [] }, s.patient.psn_no, s.insutype);
  s.state = 'DISCHARGED';
  s.endtime = endtime;
  s.trial = null;
  return view(t);
}

export async function cancelDischarge(t: Terminal): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, 'DISCHARGED');
  await t.call('2405', { data: { mdtrt_id: s.mdtrt_id, psn_no: s.patient.psn_no } }, s.patient.psn_no, s.insutype);
  s.state = 'ADMITTED';
  s.endtime = null;
  s.trial = null;
  return view(t);
}

export async function cancelAdmission(t: Terminal): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, 'ADMITTED');
  await t.call('2404', { data: { mdtrt_id: s.mdtrt_id, psn_no: s.patient.psn_no } }, s.patient.psn_no, s.insutype);
  s.state = 'CANCELLED';
  return view(t);
}

export const unsettled = (s: Stay) => s.lines.filter((l) => l.setl_id === null);
const stateSig = (s: Stay, mid: boolean, acctUsed: boolean) => JSON.stringify([s.state, mid, acctUsed, unsettled(s).map((l) => l.feedetl_sn)]);

function settleInput(s: Stay, mid: boolean, acctUsed: boolean) {
  const total = unsettled(s).reduce((a, l) => a + l.amount, 0);
  return {
    data: {
      psn_no: s.patient.psn_no,
      ...certInput(s.cert),
      medfee_sumamt: yuan(total),
      mdtrt_id: s.mdtrt_id,
      insutype: s.insutype,
      acct_used_flag: acctUsed ? '1' : '0',
      mid_setl_flag: mid ? '1' : '0',
      psn_setlway: '01',
    },
  };
}

/** 2303: what 2304 would settle now, with the split per fund; nothing written. */
export async function trial(t: Terminal, q: { mid: boolean; acct_used: boolean }): Promise<unknown> {
  t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  refuseUnless(s, q.mid ? 'ADMITTED' : 'DISCHARGED');
  const out = await t.call('2303', settleInput(s, q.mid, q.acct_used), s.patient.psn_no, s.insutype);
  s.trial = { setlinfo: out.setlinfo as Setl, setldetail: (out.setldetail as Setl[] | undefined) ?? [], mid: q.mid, acctUsed: q.acct_used, sig: stateSig(s, q.mid, q.acct_used) };
  return view(t);
}

const settlePurpose = (s: Stay) => `ipt-settle:${s.mdtrt_id}:${s.settlements.length}`;

/** 2304 of what the trial showed (sent again with its msgid while pending), recorded in the till as clr_type 21. */
export async function settle(t: Terminal, q: { tender: Tender; tendered?: Fen | undefined }): Promise<unknown> {
  const cashier = t.requireCashier();
  const s = stayOnScreen(t);
  const pending = settlePurpose(s);
  const resend = t.store.pending(pending) !== undefined;
  const tr = s.trial;
  if (!tr || (!resend && tr.sig !== stateSig(s, tr.mid, tr.acctUsed))) throw new TerminalError('trial_first', '请先试算并核对各基金金额 (trial-settle and check the funds first)', 409);
  const mid = tr.mid;
  const due = fen(tr.setlinfo.psn_cash_pay);
  if (q.tender === 'cash' && (q.tendered === undefined || q.tendered < due)) throw new TerminalError('tendered_short', `实收现金不足 ${(due / 100).toFixed(2)} (not enough cash)`);
  const covered = unsettled(s);
  // what the till records is fixed before the request goes out (a terminal restarted before the answer records it)
  const draft = (): SaleDraft => ({
    ...drafted(t, s, cashier, 'settle', null),
    tender: q.tender,
    tendered: q.tender === 'cash' ? q.tendered! : null,
    lines: covered.map(saleLine),
  });
  const out = await t.call('2304', settleInput(s, mid, tr.acctUsed), s.patient.psn_no, s.insutype, { purpose: pending, draft });
  const setl = out.setlinfo as Setl;
  const setlId = String(setl.setl_id);
  for (const l of covered) l.setl_id = setlId;
  s.settlements.push({ setl_id: setlId, mid, setlinfo: setl, setldetail: (out.setldetail as Setl[] | undefined) ?? [], cancel_setl_id: null, lines: covered.map((l) => l.feedetl_sn) });
  if (!mid) s.state = 'SETTLED';
  s.trial = null;
  await recordSale(t, draft(), setl, pending);
  log.info({ setl_id: setlId, mid, opter_no: cashier.opter_no }, 'inpatient settled');
  t.emit('sale', { setl_id: setlId, kind: 'settle' });
  return view(t);
}

/** The till's record of a stay's settlement or cancellation, less what the platform's answer gives. */
function drafted(t: Terminal, s: Stay, cashier: Cashier, kind: 'settle' | 'cancel', initSetlId: string | null) {
  return {
    kind,
    init_setl_id: initSetlId,
    fixmedins_code: t.institution.fixmedins_code,
    terminal_id: t.config.terminalId,
    opter_no: cashier.opter_no,
    opter_name: cashier.opter_name,
    sign_no: cashier.sign_no,
    mdtrt_id: s.mdtrt_id,
    psn_no: s.patient.psn_no,
    insutype: s.insutype,
    clr_type: '21',
    cert: s.cert,
  };
}

const saleLine = (l: StayLine): SaleLineRecord => ({ feedetl_sn: l.feedetl_sn, hilist_code: l.hilist_code, name: l.name, chrgitm_lv: l.chrgitm_lv, pric: l.pric, cnt_e4: l.cnt_e4, amount: l.amount, hosp_appr_flag: '0', trace_code: null });

/** 2305 of the stay's latest settlement in force: a reversing record; its lines become unsettled again. */
export async function cancelSettlement(t: Terminal, setlId: string): Promise<unknown> {
  const cashier = t.requireCashier();
  const s = stayOnScreen(t);
  refusePending(t, s);
  const st = s.settlements.find((x) => x.setl_id === setlId);
  if (!st) throw new TerminalError('settlement_unknown', `本次住院没有结算 ${setlId}`, 404);
  const tender = t.store.sale(setlId)?.tender ?? 'cash';
  const draft = (): SaleDraft => ({ ...drafted(t, s, cashier, 'cancel', setlId), tender, tendered: null, lines: [] });
  const purpose = `ipt-cancel:${setlId}`;
  const out = await t.call('2305', { data: { mdtrt_id: s.mdtrt_id, setl_id: setlId, psn_no: s.patient.psn_no } }, s.patient.psn_no, s.insutype, { purpose, draft });
  const c = out.setlinfo as Setl;
  const cancelId = String(c.setl_id);
  st.cancel_setl_id = cancelId;
  for (const l of s.lines) if (l.setl_id === setlId) l.setl_id = null;
  if (!st.mid) s.state = 'DISCHARGED';
  s.trial = null;
  await recordSale(t, draft(), c, purpose);
  log.info({ setl_id: cancelId, init_setl_id: setlId }, 'inpatient settlement cancelled');
  t.emit('sale', { setl_id: cancelId, kind: 'cancel' });
  return view(t);
}
