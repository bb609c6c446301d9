/**
 * The cashier terminal's state and flows: the shift (9001), the checkout (identify, lines,
 * pre-settlement, confirm, tender), cancellations and partial returns, end of day. Every platform
 * transaction goes through Platform.call, in process, with a whole envelope the terminal fills
 * (institution, cashier, sign_no, the patient's insured area). Money is integer fen here; the
 * platform's outputs are yuan and are converted once, where they are read.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { FixedClock, localDate, localDateTime, stamp, type Clock } from '../core/clock.ts';
import { maskId, maskName } from '../core/mask.ts';
import { lineAmount, type Fen } from '../core/money.ts';
import type { Institution, WorldIndex } from '../core/world.ts';
import { CardError, type CardIdentity } from '../drivers/card/index.ts';
import type { TimedScan } from '../drivers/scanner/index.ts';
import type { LedgerStore } from '../ledger/types.ts';
import { Serial } from '../core/serial.ts';
import { log } from '../log.ts';
import { issueEcert } from '../platform/ecert.ts';
import type { Platform } from '../platform/platform.ts';
import { Refusal } from '../core/settle.ts';
import type { Devices, ReaderId } from './devices.ts';
import { TerminalError } from './errors.ts';
import { TerminalStore, type CertRecord, type SaleLineRecord, type SaleRecord, type Tender } from './store.ts';

export const LEVEL_NAMES: Record<string, string> = { '01': '甲', '02': '乙', '03': '丙' };
export const INSUTYPE_NAMES: Record<string, string> = { '310': '职工基本医疗保险', '390': '城乡居民基本医疗保险' };
const CARD_WAIT_MS = 20_000;

/** yuan (a platform output number) to fen. */
export function fen(yuan: unknown): Fen {
  return typeof yuan === 'number' && Number.isFinite(yuan) ? Math.round(yuan * 100) : 0;
}
/** fen to yuan, for JSON at the edge. */
export function yuan(f: Fen): number {
  return f / 100;
}

export interface Cashier {
  opter_no: string;
  opter_name: string;
  sign_no: string;
  sign_time: string;
}

interface Insu {
  insutype: string;
  psn_type: string;
  psn_insu_stas: string;
  insuplc_admdvs: string;
  balc: Fen;
}

interface Patient {
  psn_no: string;
  name: string;
  certno: string;
  gend: string;
  age: number | null;
  insuinfo: Insu[];
  via: 'card' | 'ecert' | 'id';
  cert: CertRecord;
  /** The holder whose card pays (family mutual aid with the holder's card). */
  holder: { name: string; certno: string } | null;
  card: { reader: ReaderId; seq: number; present: boolean } | null;
}

interface LineSplitView {
  fulamt_ownpay_amt: Fen;
  overlmt_amt: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
}

interface Line {
  no: number;
  hilist_code: string;
  name: string;
  chrgitm_lv: string | null;
  list_type: string | null;
  selfpay_prop: number | null;
  cap: Fen | null;
  lmt_used_flag: string | null;
  pric: Fen | null;
  cnt_e4: number;
  hosp_appr_flag: '0' | '1';
  trace_code: string | null;
  split: LineSplitView | null;
}

type Setl = Record<string, unknown>;

export interface Notice {
  at: string;
  level: 'info' | 'warn' | 'error';
  text: string;
  err_code?: string | undefined;
}

class Checkout {
  readonly id = randomUUID();
  state: 'open' | 'settled' | 'void' = 'open';
  patient: Patient | null = null;
  insutype: string | null = null;
  lines: Line[] = [];
  nextNo = 1;
  acctUsed = true;
  pre: { setl: Setl; sig: string } | null = null;
  visit: { mdtrt_id: string; ipt_otp_no: string; uploadedSig: string | null; round: number; batch: string | null } | null = null;
  setlId: string | null = null;
  notices: Notice[] = [];
  readonly abort = new AbortController();
  constructor(
    readonly mode: 'pharmacy' | 'outpatient',
    readonly startedAt: number,
    readonly begntime: string,
    readonly minSeq: Map<ReaderId, number>,
    readonly endScans: () => void,
  ) {}
}

export interface TerminalEvents {
  checkout: [unknown];
  cashier: [Cashier | null];
  clock: [{ now: string; date: string }];
  scan: [{ kind: string; text: string; outcome: string; level: Notice['level'] }];
  sale: [{ setl_id: string; kind: 'settle' | 'cancel' }];
}

export interface TerminalConfig {
  institution: Institution;
  terminalId: string;
  tester: boolean;
}

export class Terminal extends EventEmitter<TerminalEvents> {
  readonly store: TerminalStore;
  readonly world: WorldIndex;
  cashier: Cashier | null = null;
  private co: Checkout | null = null;
  private scanChain: Promise<void> = Promise.resolve();
  /** One cashier operation at a time: each awaits the platform, and none may see another's half-done checkout. */
  private readonly serial = new Serial();

  constructor(
    readonly platform: Platform,
    readonly ledger: LedgerStore,
    readonly clock: Clock,
    readonly devices: Devices,
    readonly config: TerminalConfig,
    store: TerminalStore,
  ) {
    super();
    this.store = store;
    this.world = ledger.world();
    devices.on('scan', () => {
      this.scanChain = this.scanChain.then(() => this.exclusive(() => this.drainScans())).catch((err) => log.error({ err }, 'scan handling failed'));
    });
    devices.on('drop', ({ scan, reason }) => {
      const why: Record<string, string> = {
        no_checkout: '没有进行中的结算单，已忽略 (no checkout waiting)',
        before_checkout: '扫于本单开始之前，已丢弃 (scanned before this checkout)',
        stale: '扫码已过期，已丢弃 (stale scan)',
        overflow: '扫码过多，已丢弃 (too many scans)',
        checkout_ended: '结算单已结束，已丢弃 (checkout ended)',
      };
      this.emit('scan', { kind: scan.kind, text: shownScan(scan), outcome: why[reason] ?? reason, level: 'warn' });
    });
    devices.on('card', (ev) => {
      const p = this.co?.patient;
      if (ev.type === 'removed' && p?.card && p.card.reader === ev.reader && p.card.seq === ev.cardSeq && this.co?.state === 'open') {
        p.card.present = false;
        this.notice('warn', '顾客的卡已拔出：确认结算前请重新插卡并读卡 (the card was pulled)', 'card_removed');
        this.publish();
      }
    });
  }

  get institution(): Institution {
    return this.config.institution;
  }

  get mode(): 'pharmacy' | 'outpatient' {
    return this.institution.fixmedins_type === 'pharmacy' ? 'pharmacy' : 'outpatient';
  }

  now(): { now: string; date: string } {
    return { now: localDateTime(this.clock), date: localDate(this.clock) };
  }

  // --- platform ---------------------------------------------------------------------------

  /** One transaction through the platform; a refusal becomes a TerminalError with the platform's err_code. */
  async call(infno: string, input: Record<string, unknown>, psnNo?: string, insutype?: string): Promise<Record<string, unknown>> {
    const admdvs = this.world.data.world.admdvs;
    const person = psnNo ? this.world.persons.get(psnNo) : undefined;
    const insured = person?.insuinfo.find((i) => i.insutype === insutype)?.insuplc_admdvs ?? person?.insuinfo[0]?.insuplc_admdvs;
    const env = {
      infno,
      msgid: '',
      mdtrtarea_admvs: admdvs,
      insuplc_admdvs: insured ?? admdvs,
      recer_sys_code: 'MEDPOS',
      infver: 'V1.0',
      opter_type: '1',
      opter: this.cashier?.opter_no ?? this.config.terminalId,
      opter_name: this.cashier?.opter_name ?? 'terminal',
      inf_time: localDateTime(this.clock),
      fixmedins_code: this.institution.fixmedins_code,
      fixmedins_name: this.institution.fixmedins_name,
      ...(this.cashier ? { sign_no: this.cashier.sign_no } : {}),
      dev_no: this.config.terminalId,
      input,
    };
    const resp = await this.platform.call(env, { fillMsgid: true });
    if (resp.infcode !== 0) {
      log.info({ infno, err_code: resp.err_code }, 'the platform refused a terminal request');
      throw new TerminalError(resp.err_code ?? 'refused', resp.err_msg ?? 'refused', 422);
    }
    return (resp.output ?? {}) as Record<string, unknown>;
  }

  /** The next number of a ledger sequence the terminal draws on (outpatient numbers, return batches). */
  private nextSeq(name: string): Promise<number> {
    return this.ledger.transaction((tx) => tx.nextSeq(name));
  }

  /** Runs one cashier operation after those before it. */
  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.serial.run(fn);
  }

  // --- shift ------------------------------------------------------------------------------

  signIn(opterNo: string, opterName: string): Promise<Cashier> {
    return this.exclusive(() => this.signInNow(opterNo, opterName));
  }

  private async signInNow(opterNo: string, opterName: string): Promise<Cashier> {
    const out = await this.call('9001', { signIn: { opter_no: opterNo, mac: '00-00-00-00-00-00', ip: '127.0.0.1' } });
    const s = out.signinoutb as { sign_no: string; sign_time: string };
    this.cashier = { opter_no: opterNo, opter_name: opterName, sign_no: s.sign_no, sign_time: s.sign_time };
    log.info({ opter_no: opterNo, sign_no: s.sign_no }, 'cashier signed in');
    this.emit('cashier', this.cashier);
    return this.cashier;
  }

  signOut(): Promise<void> {
    return this.exclusive(() => this.signOutNow());
  }

  private signOutNow(): void {
    if (this.co?.state === 'open' && (this.co.patient || this.co.lines.length)) {
      throw new TerminalError('checkout_open', '请先完成或作废当前结算单 (finish or void the open checkout first)', 409);
    }
    this.cashier = null;
    this.emit('cashier', null);
  }

  private requireCashier(): Cashier {
    if (!this.cashier) throw new TerminalError('not_signed_in', '请先签到 (sign in for the shift first: 9001)', 409);
    return this.cashier;
  }

  // --- clock (tester mode) ----------------------------------------------------------------

  moveClock(q: { set?: string | undefined; advance_s?: number | undefined }): { now: string; date: string } {
    if (!this.config.tester || !(this.clock instanceof FixedClock)) throw new TerminalError('not_tester', '只有测试模式 (--tester) 可以调整时钟', 403);
    try {
      if (q.set !== undefined) this.clock.set(q.set);
      if (q.advance_s !== undefined) this.clock.advance(q.advance_s * 1000);
    } catch (err) {
      throw new TerminalError('bad_time', (err as Error).message);
    }
    const now = this.now();
    this.emit('clock', now);
    return now;
  }

  // --- checkout ---------------------------------------------------------------------------

  private notice(level: Notice['level'], text: string, err_code?: string): void {
    if (!this.co) return;
    this.co.notices.push({ at: localDateTime(this.clock).slice(11), level, text, err_code });
    if (this.co.notices.length > 20) this.co.notices.shift();
  }

  private publish(): void {
    this.emit('checkout', this.view());
  }

  /** Does the open checkout own the card in the reader (its patient was identified by that card, still in)? */
  holdsCard(): boolean {
    const card = this.co?.state === 'open' ? this.co.patient?.card : null;
    return !!card && this.devices.cardPresent(card.reader, card.seq);
  }

  private current(): Checkout {
    if (!this.co || this.co.state !== 'open') throw new TerminalError('no_checkout', '没有进行中的结算单：请点“新结算” (start a checkout first)', 409);
    return this.co;
  }

  /** A new checkout: the previous one (if still open) is voided; no card or scan of before can land in it. */
  newCheckout(): Promise<unknown> {
    return this.exclusive(() => this.newCheckoutNow());
  }

  private async newCheckoutNow(): Promise<unknown> {
    this.requireCashier();
    if (this.co?.state === 'open') await this.voidCheckoutNow();
    const minSeq = new Map([...this.devices.cardSeqs()].map(([id, s]) => [id, s.seq + 1] as const));
    const scans = this.devices.guard.beginCheckout();
    this.co = new Checkout(this.mode, scans.startedAt, localDateTime(this.clock), minSeq, () => scans.end());
    const stale = [...this.devices.cardSeqs().values()].some((s) => s.present);
    if (stale) this.notice('warn', '读卡器中仍有上一张卡：请取出，再插入本次顾客的卡 (take the previous card out)');
    this.publish();
    return this.view();
  }

  /** Voids the open checkout; a card read in progress is aborted at once, before the lock is taken. */
  voidCheckout(): Promise<unknown> {
    if (this.co?.state === 'open') this.co.abort.abort();
    return this.exclusive(() => this.voidCheckoutNow());
  }

  private async voidCheckoutNow(): Promise<unknown> {
    const co = this.current();
    co.state = 'void';
    co.abort.abort();
    co.endScans();
    if (co.visit && co.patient) {
      // An outpatient visit opened here and not settled: withdraw its lines and cancel the registration.
      const p = co.patient;
      try {
        if (co.visit.uploadedSig) await this.call('2205', { data: { mdtrt_id: co.visit.mdtrt_id, chrg_bchno: '0000', psn_no: p.psn_no } }, p.psn_no, co.insutype ?? undefined);
        await this.call('2202', { data: { psn_no: p.psn_no, mdtrt_id: co.visit.mdtrt_id, ipt_otp_no: co.visit.ipt_otp_no } }, p.psn_no, co.insutype ?? undefined);
      } catch (err) {
        log.warn({ err_code: (err as TerminalError).err_code }, 'could not cancel the voided checkout visit');
      }
    }
    this.publish();
    return this.view();
  }

  private invalidate(co: Checkout): void {
    co.pre = null;
  }

  /** Identifies the patient: by card (read now, PIN first when the world asks), by ID number, or by an e-certificate code. */
  async identify(
    q:
      | { method: 'card'; pin?: string | undefined; relative_certno?: string | undefined }
      | { method: 'id'; certno: string; psn_name?: string | undefined }
      | { method: 'ecert'; code: string },
  ): Promise<unknown> {
    this.requireCashier();
    const co = this.current();
    const registered = () => new TerminalError('already_registered', '已挂号：不能更换就诊人 (the visit is registered: void the checkout to change the patient)', 409);
    if (co.visit) throw registered();
    try {
      let read: Awaited<ReturnType<Devices['readCard']>> | undefined;
      if (q.method === 'card') {
        // read before taking the lock: the read waits for a card, and voiding the checkout must be able to abort it
        const needPin = this.world.policy.card_pin_required;
        if (needPin && !q.pin) throw new TerminalError('pin_required', '本地区要求输入卡密码 (the card PIN is required)');
        try {
          read = await this.devices.readCard(co.minSeq, { pin: needPin ? q.pin : undefined, timeoutMs: CARD_WAIT_MS, signal: co.abort.signal });
        } catch (err) {
          throw cardFailure(err);
        }
      }
      await this.exclusive(async () => {
        if (this.co !== co || co.state !== 'open') throw new TerminalError('no_checkout', '结算单已结束 (the checkout ended while reading)', 409);
        if (co.visit) throw registered();
        if (read && q.method === 'card') {
          const id = read.identity;
          const relative = q.relative_certno?.toUpperCase();
          const out = await this.call('1101', {
            data: {
              mdtrt_cert_type: '03',
              mdtrt_cert_no: id.card_no,
              card_sn: id.card_sn,
              begntime: co.begntime,
              psn_cert_type: '01',
              certno: relative ?? id.certno,
              ...(relative ? {} : { psn_name: id.psn_name }),
            },
          });
          const holder = relative && relative !== id.certno.toUpperCase() ? { name: id.psn_name, certno: id.certno } : null;
          this.setPatient(co, out, 'card', { mdtrt_cert_type: '03', mdtrt_cert_no: id.card_no, card_sn: id.card_sn }, holder, { reader: read.reader, seq: read.cardSeq, present: true }, id);
        } else if (q.method === 'id') {
          const out = await this.call('1101', {
            data: { mdtrt_cert_type: '02', mdtrt_cert_no: q.certno.toUpperCase(), psn_cert_type: '01', certno: q.certno.toUpperCase(), begntime: co.begntime, ...(q.psn_name ? { psn_name: q.psn_name } : {}) },
          });
          this.setPatient(co, out, 'id', { mdtrt_cert_type: '02', mdtrt_cert_no: q.certno.toUpperCase() }, null, null);
        } else if (q.method === 'ecert') {
          await this.identifyByEcert(co, q.code);
        }
      });
    } catch (err) {
      if (err instanceof TerminalError) {
        this.notice('error', err.message, err.err_code);
        this.publish();
      }
      throw err;
    }
    this.publish();
    return this.view();
  }

  private async identifyByEcert(co: Checkout, code: string): Promise<void> {
    const c = this.cashier!;
    const q = await this.call('ec.query', {
      data: {
        orgId: this.institution.fixmedins_code,
        businessType: '01101',
        operatorId: c.opter_no,
        operatorName: c.opter_name,
        officeId: this.config.terminalId,
        officeName: this.institution.fixmedins_name,
        ecQrCode: code,
      },
    });
    const d = q.data as { ecToken: string; idNo: string; userName: string };
    const out = await this.call('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: d.ecToken, begntime: co.begntime, psn_cert_type: '01', certno: d.idNo, psn_name: d.userName } });
    this.setPatient(co, out, 'ecert', { mdtrt_cert_type: '01', mdtrt_cert_no: d.ecToken }, null, null);
  }

  private setPatient(
    co: Checkout,
    out: Record<string, unknown>,
    via: Patient['via'],
    cert: CertRecord,
    holder: Patient['holder'],
    card: Patient['card'],
    chip?: CardIdentity,
  ): void {
    const b = out.baseinfo as { psn_no: string; psn_name: string; certno: string; gend: string; age?: number };
    const insuinfo = (out.insuinfo as Array<{ insutype: string; psn_type: string; psn_insu_stas: string; insuplc_admdvs: string; balc?: number }>).map((i) => ({
      insutype: i.insutype,
      psn_type: i.psn_type,
      psn_insu_stas: i.psn_insu_stas,
      insuplc_admdvs: i.insuplc_admdvs,
      balc: fen(i.balc ?? 0),
    }));
    if (co.patient && co.patient.psn_no !== b.psn_no) {
      throw new TerminalError('patient_changed', '本单已识别另一位顾客：请作废本单后重新开始 (another patient is already identified: void this checkout)', 409);
    }
    const same = co.patient?.psn_no === b.psn_no;
    co.patient = { psn_no: b.psn_no, name: b.psn_name, certno: b.certno, gend: b.gend, age: b.age ?? null, insuinfo, via, cert, holder, card };
    if (!same || !co.insutype) co.insutype = insuinfo.find((i) => i.psn_insu_stas === '1')?.insutype ?? insuinfo[0]?.insutype ?? null;
    this.invalidate(co);
    const who = `${maskName(b.psn_name)} ${maskId(b.certno)}`;
    const how = via === 'card' ? `社保卡 (card${chip ? ` gen ${chip.spec_ver}` : ''})` : via === 'ecert' ? '医保电子凭证 (e-certificate)' : '身份证号 (ID number)';
    this.notice('info', `已识别 ${who}，凭 ${how}${holder ? `；家庭共济，持卡人 ${maskName(holder.name)}` : ''}`);
    log.info({ via, psn: maskId(b.certno), holder: holder ? maskId(holder.certno) : undefined }, 'patient identified');
  }

  setInsutype(insutype: string): Promise<unknown> {
    return this.exclusive(() => this.setInsutypeNow(insutype));
  }

  private setInsutypeNow(insutype: string): unknown {
    const co = this.current();
    if (!co.patient) throw new TerminalError('not_identified', '请先识别顾客 (identify the patient first)', 409);
    if (co.visit) throw new TerminalError('already_registered', '已挂号，不能更换险种 (the visit is registered under its insutype)', 409);
    if (!co.patient.insuinfo.some((i) => i.insutype === insutype)) throw new TerminalError('insutype_unknown', `该顾客没有险种 ${insutype}`);
    co.insutype = insutype;
    this.invalidate(co);
    this.publish();
    return this.view();
  }

  /** Outpatient mode: 2201 register (and 2203 visit info: general outpatient). */
  register(): Promise<unknown> {
    return this.exclusive(() => this.registerNow());
  }

  private async registerNow(): Promise<unknown> {
    this.requireCashier();
    const co = this.current();
    await this.ensureRegistered(co);
    this.publish();
    return this.view();
  }

  private async ensureRegistered(co: Checkout): Promise<NonNullable<Checkout['visit']>> {
    if (co.mode !== 'outpatient') throw new TerminalError('wrong_mode', '药店不需要挂号 (pharmacies do not register visits)', 409);
    if (co.visit) return co.visit;
    const p = this.needPatient(co);
    const ipt = `MZ${stamp(this.clock).compact}${String((await this.nextSeq('terminal_ipt_otp')) % 100).padStart(2, '0')}`;
    const out = await this.call(
      '2201',
      { data: { psn_no: p.psn_no, insutype: co.insutype, begntime: co.begntime, ...certInput(p.cert), ipt_otp_no: ipt, atddr_no: this.cashier!.opter_no, dr_name: this.cashier!.opter_name, dept_code: 'MZ01', dept_name: '门诊' } },
      p.psn_no,
      co.insutype!,
    );
    const mdtrtId = (out.data as { mdtrt_id: string }).mdtrt_id;
    await this.call('2203', { mdtrtinfo: { mdtrt_id: mdtrtId, psn_no: p.psn_no, med_type: '11' }, diseinfo: [] }, p.psn_no, co.insutype!);
    co.visit = { mdtrt_id: mdtrtId, ipt_otp_no: ipt, uploadedSig: null, round: 0, batch: null };
    this.notice('info', `已挂号 (registered) 门诊号 ${ipt}`);
    return co.visit;
  }

  private needPatient(co: Checkout): Patient {
    if (!co.patient || !co.insutype) throw new TerminalError('not_identified', '请先识别顾客：读卡、扫电子凭证或输入身份证号 (identify the patient first)', 409);
    return co.patient;
  }

  // --- lines ------------------------------------------------------------------------------

  addLine(q: { hilist_code: string; pric?: Fen | undefined; cnt_e4?: number | undefined; hosp_appr_flag?: '0' | '1' | undefined; trace_code?: string | undefined }): Promise<unknown> {
    return this.exclusive(() => this.addLineNow(q));
  }

  private addLineNow(q: Parameters<Terminal['addLine']>[0]): unknown {
    const co = this.current();
    this.pushLine(co, q);
    this.publish();
    return this.view();
  }

  private pushLine(co: Checkout, q: { hilist_code: string; pric?: Fen | undefined; cnt_e4?: number | undefined; hosp_appr_flag?: '0' | '1' | undefined; trace_code?: string | undefined }): Line {
    const item = this.world.catalog.get(q.hilist_code);
    if (q.trace_code && co.lines.some((l) => l.trace_code === q.trace_code)) {
      throw new TerminalError('trace_code_duplicate', `追溯码 ${q.trace_code} 已在本单中 (this trace code is already on a line)`, 409);
    }
    if (co.lines.length >= 200) throw new TerminalError('too_many_lines', '一单最多 200 行 (at most 200 lines)');
    const line: Line = {
      no: co.nextNo++,
      hilist_code: q.hilist_code,
      name: item?.hilist_name ?? '目录外项目 (not in the catalog)',
      chrgitm_lv: item?.chrgitm_lv ?? null,
      list_type: item?.list_type ?? null,
      selfpay_prop: item ? item.selfpay_prop / 10_000 : null,
      cap: item?.hilist_pric_uplmt_amt ?? null,
      lmt_used_flag: item?.lmt_used_flag ?? null,
      pric: q.pric ?? this.store.price(this.institution.fixmedins_code, q.hilist_code),
      cnt_e4: q.cnt_e4 ?? 10_000,
      hosp_appr_flag: q.hosp_appr_flag ?? '0',
      trace_code: q.trace_code ?? null,
      split: null,
    };
    co.lines.push(line);
    this.invalidate(co);
    return line;
  }

  updateLine(no: number, q: { pric?: Fen | undefined; cnt_e4?: number | undefined; hosp_appr_flag?: '0' | '1' | undefined }): Promise<unknown> {
    return this.exclusive(() => this.updateLineNow(no, q));
  }

  private updateLineNow(no: number, q: Parameters<Terminal['updateLine']>[1]): unknown {
    const co = this.current();
    const line = co.lines.find((l) => l.no === no);
    if (!line) throw new TerminalError('line_unknown', `没有第 ${no} 行 (no line ${no})`, 404);
    if (line.trace_code && q.cnt_e4 !== undefined && q.cnt_e4 !== 10_000) throw new TerminalError('trace_code_count', '带追溯码的行数量固定为 1 (a traced package counts 1)');
    if (q.pric !== undefined) line.pric = q.pric;
    if (q.cnt_e4 !== undefined) line.cnt_e4 = q.cnt_e4;
    if (q.hosp_appr_flag !== undefined) line.hosp_appr_flag = q.hosp_appr_flag;
    line.split = null;
    this.invalidate(co);
    this.publish();
    return this.view();
  }

  removeLine(no: number): Promise<unknown> {
    return this.exclusive(() => this.removeLineNow(no));
  }

  private removeLineNow(no: number): unknown {
    const co = this.current();
    const i = co.lines.findIndex((l) => l.no === no);
    if (i < 0) throw new TerminalError('line_unknown', `没有第 ${no} 行 (no line ${no})`, 404);
    co.lines.splice(i, 1);
    this.invalidate(co);
    this.publish();
    return this.view();
  }

  searchCatalog(q: string): unknown[] {
    const needle = q.trim().toUpperCase();
    if (!needle) return [];
    const date = localDate(this.clock);
    return this.world.data.catalog
      .filter((i) => i.hilist_code.toUpperCase().startsWith(needle) || i.hilist_name.toUpperCase().includes(needle) || (i.barcodes ?? []).includes(needle))
      .slice(0, 30)
      .map((i) => ({
        hilist_code: i.hilist_code,
        hilist_name: i.hilist_name,
        chrgitm_lv: i.chrgitm_lv,
        lv: LEVEL_NAMES[i.chrgitm_lv],
        list_type: i.list_type,
        selfpay_prop: i.selfpay_prop / 10_000,
        cap: i.hilist_pric_uplmt_amt === null ? null : yuan(i.hilist_pric_uplmt_amt),
        lmt_used_flag: i.lmt_used_flag,
        valid: i.begndate <= date && (i.enddate === null || date <= i.enddate),
        last_pric: ((p) => (p === null ? null : yuan(p)))(this.store.price(this.institution.fixmedins_code, i.hilist_code)),
      }));
  }

  // --- scans ------------------------------------------------------------------------------

  private async drainScans(): Promise<void> {
    for (;;) {
      const co = this.co;
      if (!co || co.state !== 'open') return;
      const scan = this.devices.guard.takeFor(co.startedAt);
      if (!scan) return;
      let outcome = '';
      let level: Notice['level'] = 'info';
      try {
        if (scan.kind === 'ecert') {
          if (!this.cashier) throw new TerminalError('not_signed_in', '请先签到');
          if (co.visit || co.patient) {
            outcome = '本单已识别顾客，忽略电子凭证 (patient already identified)';
            level = 'warn';
          } else {
            await this.identifyByEcert(co, scan.text);
            outcome = '电子凭证已识别 (e-certificate accepted)';
          }
        } else if (scan.kind === 'ean13' || scan.kind === 'trace') {
          const item = this.world.itemByBarcode(scan.text);
          if (!item) {
            outcome = '目录中没有此条码的商品 (no item has this barcode)';
            level = 'warn';
          } else if (scan.kind === 'ean13') {
            const same = co.lines.find((l) => l.hilist_code === item.hilist_code && !l.trace_code);
            if (same) {
              same.cnt_e4 += 10_000;
              same.split = null;
              this.invalidate(co);
            } else this.pushLine(co, { hilist_code: item.hilist_code });
            outcome = `已加入 ${item.hilist_name}`;
          } else {
            this.pushLine(co, { hilist_code: item.hilist_code, trace_code: scan.text });
            outcome = `已加入 ${item.hilist_name}（追溯码）`;
          }
        } else {
          outcome = '无法识别的扫码，未处理 (unknown scan, not acted on)';
          level = 'warn';
        }
      } catch (err) {
        const e = err instanceof TerminalError ? err : new TerminalError('internal_error', (err as Error).message, 500);
        outcome = `${e.message} [${e.err_code}]`;
        level = 'error';
      }
      if (level !== 'info' || scan.kind === 'ecert') this.notice(level, outcome, undefined);
      this.emit('scan', { kind: scan.kind, text: shownScan(scan), outcome, level });
      this.publish();
    }
  }

  // --- pre-settlement and settlement ------------------------------------------------------

  private priced(co: Checkout): (Line & { pric: Fen; amount: Fen })[] {
    if (co.lines.length === 0) throw new TerminalError('no_lines', '请先加入商品或收费项目 (add items first)', 409);
    const missing = co.lines.filter((l) => l.pric === null || l.pric <= 0);
    if (missing.length) throw new TerminalError('price_missing', `第 ${missing.map((l) => l.no).join('、')} 行没有单价 (enter the price)`, 409);
    return co.lines.map((l) => ({ ...l, pric: l.pric!, amount: lineAmount(l.pric! * 100, l.cnt_e4) }));
  }

  private sig(co: Checkout): string {
    return JSON.stringify([co.insutype, co.acctUsed, co.lines.map((l) => [l.no, l.hilist_code, l.pric, l.cnt_e4, l.hosp_appr_flag, l.trace_code])]);
  }

  private detail(l: Line & { pric: Fen; amount: Fen }, sn: string, extra: Record<string, unknown> = {}) {
    return recordDetail(saleLine(l, sn), { medins_list_name: l.name, ...extra });
  }

  /** 2101 (pharmacy) or 2204 + 2206 (outpatient): the split, line by line and in total; nothing is written but fee lines. */
  presettle(acctUsed: boolean): Promise<unknown> {
    return this.exclusive(() => this.presettleNow(acctUsed));
  }

  private async presettleNow(acctUsed: boolean): Promise<unknown> {
    this.requireCashier();
    const co = this.current();
    const p = this.needPatient(co);
    co.acctUsed = acctUsed;
    const setl = await this.runSettlement(co, p, false);
    co.pre = { setl, sig: this.sig(co) };
    this.publish();
    return this.view();
  }

  private async runSettlement(co: Checkout, p: Patient, settle: boolean): Promise<Setl> {
    const lines = this.priced(co);
    const total = lines.reduce((s, l) => s + l.amount, 0);
    const insutype = co.insutype!;
    const acct = co.acctUsed ? '1' : '0';
    if (co.mode === 'pharmacy') {
      const out = await this.call(
        settle ? '2102' : '2101',
        {
          druginfo: { psn_no: p.psn_no, ...certInput(p.cert), begntime: co.begntime, medfee_sumamt: yuan(total), insutype, med_type: '41', acct_used_flag: acct },
          drugdetail: lines.map((l) => this.detail(l, `L${l.no}`, { fee_ocur_time: co.begntime })),
        },
        p.psn_no,
        insutype,
      );
      const cut = new Map((out.detlcutinfo as Array<Record<string, unknown>>).map((d) => [d.feedetl_sn as string, d]));
      for (const l of co.lines) {
        const d = cut.get(`L${l.no}`);
        l.split = d ? { fulamt_ownpay_amt: fen(d.fulamt_ownpay_amt), overlmt_amt: fen(d.overlmt_amt), preselfpay_amt: fen(d.preselfpay_amt), inscp_scp_amt: fen(d.inscp_scp_amt) } : null;
      }
      return out.setlinfo as Setl;
    }
    const visit = await this.ensureRegistered(co);
    const sig = JSON.stringify(lines.map((l) => [l.no, l.hilist_code, l.pric, l.cnt_e4, l.hosp_appr_flag, l.trace_code]));
    if (visit.uploadedSig !== sig) {
      if (visit.uploadedSig !== null) await this.call('2205', { data: { mdtrt_id: visit.mdtrt_id, chrg_bchno: '0000', psn_no: p.psn_no } }, p.psn_no, insutype);
      visit.uploadedSig = null;
      visit.round += 1;
      const batch = `B${visit.round}`;
      const out = await this.call(
        '2204',
        { feedetail: lines.map((l) => this.detail(l, `R${visit.round}-${l.no}`, { mdtrt_id: visit.mdtrt_id, psn_no: p.psn_no, chrg_bchno: batch, fee_ocur_time: co.begntime })) },
        p.psn_no,
        insutype,
      );
      const result = out.result as Array<Record<string, unknown>>;
      lines.forEach((l, i) => {
        const d = result[i]!;
        co.lines.find((x) => x.no === l.no)!.split = { fulamt_ownpay_amt: fen(d.fulamt_ownpay_amt), overlmt_amt: fen(d.overlmt_amt), preselfpay_amt: fen(d.preselfpay_amt), inscp_scp_amt: fen(d.inscp_scp_amt) };
      });
      visit.uploadedSig = sig;
      visit.batch = batch;
    }
    const out = await this.call(
      settle ? '2207' : '2206',
      { data: { psn_no: p.psn_no, ...certInput(p.cert), med_type: '11', medfee_sumamt: yuan(total), psn_setlway: '01', mdtrt_id: visit.mdtrt_id, chrg_bchno: visit.batch, acct_used_flag: acct, insutype } },
      p.psn_no,
      insutype,
    );
    return out.setlinfo as Setl;
  }

  /** 2102 / 2207, then the tender, recorded in the terminal's own table. */
  settle(q: { tender: Tender; tendered?: Fen | undefined }): Promise<unknown> {
    return this.exclusive(() => this.settleNow(q));
  }

  private async settleNow(q: { tender: Tender; tendered?: Fen | undefined }): Promise<unknown> {
    const cashier = this.requireCashier();
    const co = this.current();
    const p = this.needPatient(co);
    if (!co.pre || co.pre.sig !== this.sig(co)) throw new TerminalError('presettle_first', '请先预结算并核对金额 (pre-settle and check the figures first)', 409);
    if (p.card && !p.card.present && !this.devices.cardPresent(p.card.reader, p.card.seq)) {
      throw new TerminalError('card_removed', '顾客的卡已拔出：请重新插卡并读卡后再确认 (insert the card again and read it)', 409);
    }
    const due = fen(co.pre.setl.psn_cash_pay);
    if (q.tender === 'cash') {
      if (q.tendered === undefined) throw new TerminalError('tendered_missing', '请输入实收现金 (enter the cash tendered)');
      if (q.tendered < due) throw new TerminalError('tendered_short', `实收 ${(q.tendered / 100).toFixed(2)} 少于应收现金 ${(due / 100).toFixed(2)} (not enough cash)`);
    }
    const setl = await this.runSettlement(co, p, true);
    const cash = fen(setl.psn_cash_pay);
    const tendered = q.tender === 'cash' ? q.tendered! : cash;
    const change = Math.max(0, tendered - cash);
    if (tendered < cash) this.notice('warn', `结算现金 ${(cash / 100).toFixed(2)} 高于预结算：请补收 ${((cash - tendered) / 100).toFixed(2)}`);
    const setlId = setl.setl_id as string;
    const lines = this.priced(co);
    const record: SaleRecord = {
      ...this.settledFigures(setl, cashier),
      fixmedins_code: this.institution.fixmedins_code,
      psn_no: p.psn_no,
      insutype: co.insutype!,
      clr_type: String(setl.clr_type),
      tender: q.tender,
      tendered,
      change_amt: change,
      cert: { ...p.cert, acct_used_flag: co.acctUsed ? '1' : '0' } as CertRecord,
      lines: lines.map((l) => saleLine(l, co.mode === 'pharmacy' ? `L${l.no}` : `R${co.visit!.round}-${l.no}`)),
    };
    await this.store.addSale(record);
    await this.store.rememberPrices(this.institution.fixmedins_code, lines);
    co.state = 'settled';
    co.setlId = setlId;
    co.pre = { setl, sig: co.pre.sig };
    co.endScans();
    log.info({ setl_id: setlId, opter_no: cashier.opter_no, tender: q.tender }, 'settled');
    this.emit('sale', { setl_id: setlId, kind: 'settle' });
    this.publish();
    return this.view();
  }

  // --- cancellations and returns ----------------------------------------------------------

  private async cancellable(setlId: string) {
    const { rec, undone } = await this.ledger.transaction(async (tx) => ({ rec: await tx.settlement(setlId), undone: await tx.undoneBy(setlId) }));
    const today = localDate(this.clock);
    if (!rec || rec.kind !== 'settle' || rec.fixmedins_code !== this.institution.fixmedins_code) throw new TerminalError('settlement_unknown', `本机构没有结算 ${setlId}`, 404);
    if (rec.setl_date !== today) throw new TerminalError('not_today', `只能撤销当日的结算 (only today's settlements; this one is of ${rec.setl_date})`, 409);
    if (undone) throw new TerminalError('already_cancelled', `结算 ${setlId} 已撤销 (${undone.setl_id})`, 409);
    return rec;
  }

  /** 2103 / 2208: a reversing record; the terminal records the refund in the original tender. */
  cancel(setlId: string): Promise<{ setl_id: string; refund: number }> {
    return this.exclusive(() => this.cancelNow(setlId));
  }

  private async cancelNow(setlId: string): Promise<{ setl_id: string; refund: number }> {
    const cashier = this.requireCashier();
    const rec = await this.cancellable(setlId);
    const sale = this.store.sale(setlId);
    const out = await this.call(rec.clr_type === '41' ? '2103' : '2208', { data: { setl_id: setlId, mdtrt_id: rec.mdtrt_id, psn_no: rec.psn_no } }, rec.psn_no, rec.insutype);
    const s = out.setlinfo as Setl;
    const cancelId = s.setl_id as string;
    await this.store.addSale({
      setl_id: cancelId,
      kind: 'cancel',
      init_setl_id: setlId,
      fixmedins_code: this.institution.fixmedins_code,
      terminal_id: this.config.terminalId,
      opter_no: cashier.opter_no,
      opter_name: cashier.opter_name,
      sign_no: cashier.sign_no,
      mdtrt_id: rec.mdtrt_id,
      psn_no: rec.psn_no,
      insutype: rec.insutype,
      clr_type: rec.clr_type,
      setl_date: String(s.setl_time).slice(0, 10),
      setl_time: String(s.setl_time),
      medfee_sumamt: fen(s.medfee_sumamt),
      fund_pay_sumamt: fen(s.fund_pay_sumamt),
      acct_pay: fen(s.acct_pay),
      acct_mulaid_pay: fen(s.acct_mulaid_pay),
      psn_cash_pay: fen(s.psn_cash_pay),
      tender: sale?.tender ?? 'cash',
      tendered: fen(s.psn_cash_pay),
      change_amt: 0,
      cert: sale?.cert ?? { mdtrt_cert_type: '02', mdtrt_cert_no: '' },
      lines: sale?.lines ?? [],
    });
    log.info({ setl_id: setlId, cancel: cancelId, opter_no: cashier.opter_no }, 'settlement cancelled');
    this.emit('sale', { setl_id: cancelId, kind: 'cancel' });
    return { setl_id: cancelId, refund: yuan(-fen(s.psn_cash_pay)) };
  }

  /** Partial return: cancel the settlement, then settle the lines kept with the same certificate and tender. */
  partialReturn(setlId: string, keep: string[]): Promise<{ cancel_setl_id: string; setl_id: string; refund: number }> {
    return this.exclusive(() => this.partialReturnNow(setlId, keep));
  }

  private async partialReturnNow(setlId: string, keep: string[]): Promise<{ cancel_setl_id: string; setl_id: string; refund: number }> {
    const cashier = this.requireCashier();
    const rec = await this.cancellable(setlId);
    const sale = this.store.sale(setlId);
    if (!sale) throw new TerminalError('not_terminal_sale', '该结算不是本终端收款的，不能部分退货 (not settled at this terminal)', 409);
    const kept = sale.lines.filter((l) => keep.includes(l.feedetl_sn));
    if (kept.length !== new Set(keep).size) throw new TerminalError('line_unknown', '保留的行不属于该结算 (a kept line is not on the sale)');
    if (kept.length === 0) throw new TerminalError('keep_nothing', '全部退货请用“撤销” (to return everything, cancel the settlement)');
    if (kept.length === sale.lines.length) throw new TerminalError('return_nothing', '没有选择要退的行 (choose the lines to return)');
    const cert = sale.cert as CertRecord & { acct_used_flag?: string };
    const acct = cert.acct_used_flag ?? '1';
    const cancelled = await this.cancelNow(setlId);
    const certIn = certInput(cert);
    const begntime = localDateTime(this.clock);
    let setl: Setl;
    let newLines: SaleLineRecord[];
    try {
      if (rec.clr_type === '41') {
        newLines = kept.map((l, i) => ({ ...l, feedetl_sn: `K${i + 1}` }));
        const out = await this.call(
          '2102',
          {
            druginfo: { psn_no: rec.psn_no, ...certIn, begntime, medfee_sumamt: yuan(sum(newLines)), insutype: rec.insutype, med_type: '41', acct_used_flag: acct },
            drugdetail: newLines.map((l) => recordDetail(l)),
          },
          rec.psn_no,
          rec.insutype,
        );
        setl = out.setlinfo as Setl;
      } else {
        const batch = `K${await this.nextSeq('terminal_return')}`;
        newLines = kept.map((l, i) => ({ ...l, feedetl_sn: `${batch}-${i + 1}` }));
        await this.call('2205', { data: { mdtrt_id: rec.mdtrt_id, chrg_bchno: '0000', psn_no: rec.psn_no } }, rec.psn_no, rec.insutype);
        await this.call('2204', { feedetail: newLines.map((l) => recordDetail(l, { mdtrt_id: rec.mdtrt_id, psn_no: rec.psn_no, chrg_bchno: batch })) }, rec.psn_no, rec.insutype);
        const out = await this.call(
          '2207',
          { data: { psn_no: rec.psn_no, ...certIn, med_type: rec.med_type, medfee_sumamt: yuan(sum(newLines)), psn_setlway: '01', mdtrt_id: rec.mdtrt_id, chrg_bchno: batch, acct_used_flag: acct, insutype: rec.insutype } },
          rec.psn_no,
          rec.insutype,
        );
        setl = out.setlinfo as Setl;
      }
    } catch (err) {
      const e = err as TerminalError;
      throw new TerminalError(e.err_code ?? 'resettle_failed', `原结算已撤销 (${cancelled.setl_id})，但保留部分未能重新结算：${e.message}。请新开一单结算保留的商品。`, 422);
    }
    const cash = fen(setl.psn_cash_pay);
    await this.store.addSale({
      ...sale,
      ...this.settledFigures(setl, cashier),
      tendered: cash,
      change_amt: 0,
      lines: newLines,
    });
    this.emit('sale', { setl_id: setl.setl_id as string, kind: 'settle' });
    return { cancel_setl_id: cancelled.setl_id, setl_id: setl.setl_id as string, refund: yuan(sale.psn_cash_pay - cash) };
  }

  /** The part of a sale record that a platform settlement gives: ids, who settled it, when, and its figures. */
  private settledFigures(setl: Setl, cashier: Cashier) {
    return {
      setl_id: setl.setl_id as string,
      kind: 'settle' as const,
      init_setl_id: null,
      terminal_id: this.config.terminalId,
      opter_no: cashier.opter_no,
      opter_name: cashier.opter_name,
      sign_no: cashier.sign_no,
      mdtrt_id: setl.mdtrt_id as string,
      setl_date: String(setl.setl_time).slice(0, 10),
      setl_time: String(setl.setl_time),
      medfee_sumamt: fen(setl.medfee_sumamt),
      fund_pay_sumamt: fen(setl.fund_pay_sumamt),
      acct_pay: fen(setl.acct_pay),
      acct_mulaid_pay: fen(setl.acct_mulaid_pay),
      psn_cash_pay: fen(setl.psn_cash_pay),
    };
  }

  // --- virtual devices --------------------------------------------------------------------

  async showEcert(psnNo: string, ageS = 0): Promise<{ via: 'pty' | 'direct' }> {
    if (!this.world.persons.has(psnNo)) throw new TerminalError('person_unknown', `没有参保人 ${psnNo}`, 404);
    let code: string;
    const at = this.clock.now();
    const issuingClock: Clock = { now: () => new Date(at.getTime() - ageS * 1000), offsetMinutes: this.clock.offsetMinutes };
    try {
      code = await issueEcert(this.ledger, issuingClock, psnNo);
    } catch (err) {
      if (err instanceof Refusal) throw new TerminalError(err.err_code, err.message);
      throw err;
    }
    return { via: await this.devices.typeScan(code) };
  }

  fixtures(): unknown {
    const w = this.world.data;
    return {
      cards: w.cards.map((c) => {
        const p = this.world.persons.get(c.psn_no);
        return { card_no: c.card_no, owner: p ? maskName(p.baseinfo.psn_name) : '?', spec_ver: c.spec_ver, status: c.status, expiry_date: c.expiry_date, chip: c.chip ? '芯片数据与平台不符' : null };
      }),
      persons: w.persons.map((p) => ({
        psn_no: p.baseinfo.psn_no,
        name: maskName(p.baseinfo.psn_name),
        insutype: p.insuinfo.map((i) => `${i.insutype}${i.psn_insu_stas === '1' ? '' : '(停)'}`).join('/'),
      })),
      items: w.catalog.filter((i) => (i.barcodes ?? []).length).map((i) => ({ hilist_code: i.hilist_code, name: i.hilist_name, barcodes: i.barcodes })),
    };
  }

  /** Full name and ID number of the current patient, for the cashier to check against the patient. */
  reveal(): { name: string; certno: string; holder: { name: string; certno: string } | null } {
    const co = this.current();
    const p = this.needPatient(co);
    return { name: p.name, certno: p.certno, holder: p.holder };
  }

  // --- views ------------------------------------------------------------------------------

  view(): unknown {
    const co = this.co;
    if (!co) return null;
    const p = co.patient;
    const pre = co.pre && (co.state !== 'open' || co.pre.sig === this.sig(co)) ? co.pre.setl : null;
    return {
      id: co.id,
      mode: co.mode,
      state: co.state,
      begntime: co.begntime,
      setl_id: co.setlId,
      patient: p && {
        psn_no: p.psn_no,
        name: maskName(p.name),
        certno: maskId(p.certno),
        gend: p.gend === '1' ? '男' : p.gend === '2' ? '女' : p.gend,
        age: p.age,
        via: p.via,
        cert_type: p.cert.mdtrt_cert_type,
        holder: p.holder && { name: maskName(p.holder.name), certno: maskId(p.holder.certno) },
        card_present: p.card ? p.card.present : null,
        insuinfo: p.insuinfo.map((i) => ({ ...i, name: INSUTYPE_NAMES[i.insutype] ?? i.insutype, active: i.psn_insu_stas === '1', balc: yuan(i.balc) })),
      },
      insutype: co.insutype,
      acct_used: co.acctUsed,
      visit: co.visit && { mdtrt_id: co.visit.mdtrt_id, ipt_otp_no: co.visit.ipt_otp_no, batch: co.visit.batch },
      lines: co.lines.map((l) => {
        const amount = l.pric === null ? null : lineAmount(l.pric * 100, l.cnt_e4);
        return {
          no: l.no,
          hilist_code: l.hilist_code,
          name: l.name,
          lv: l.chrgitm_lv ? LEVEL_NAMES[l.chrgitm_lv] : '—',
          chrgitm_lv: l.chrgitm_lv,
          selfpay_prop: l.selfpay_prop,
          cap: l.cap === null ? null : yuan(l.cap),
          lmt_used_flag: l.lmt_used_flag,
          pric: l.pric === null ? null : yuan(l.pric),
          cnt: l.cnt_e4 / 10_000,
          amount: amount === null ? null : yuan(amount),
          hosp_appr_flag: l.hosp_appr_flag,
          trace_code: l.trace_code,
          split: l.split && pre ? Object.fromEntries(Object.entries(l.split).map(([k, v]) => [k, yuan(v)])) : null,
        };
      }),
      total: yuan(co.lines.reduce((s, l) => s + (l.pric === null ? 0 : lineAmount(l.pric * 100, l.cnt_e4)), 0)),
      pre: pre && {
        medfee_sumamt: pre.medfee_sumamt,
        fulamt_ownpay_amt: pre.fulamt_ownpay_amt,
        overlmt_selfpay: pre.overlmt_selfpay,
        preselfpay_amt: pre.preselfpay_amt,
        inscp_scp_amt: pre.inscp_scp_amt,
        act_pay_dedc: pre.act_pay_dedc,
        hifp_pay: pre.hifp_pay,
        pool_prop_selfpay: pre.pool_prop_selfpay,
        fund_pay_sumamt: pre.fund_pay_sumamt,
        psn_part_amt: pre.psn_part_amt,
        acct_pay: pre.acct_pay,
        own_acct_pay: yuan(fen(pre.acct_pay) - fen(pre.acct_mulaid_pay)),
        acct_mulaid_pay: pre.acct_mulaid_pay,
        psn_cash_pay: pre.psn_cash_pay,
        balc: pre.balc,
      },
      notices: co.notices,
    };
  }
}

// --- helpers -------------------------------------------------------------------------------

function certInput(c: CertRecord): Record<string, string> {
  return { mdtrt_cert_type: c.mdtrt_cert_type, mdtrt_cert_no: c.mdtrt_cert_no, ...(c.card_sn ? { card_sn: c.card_sn } : {}) };
}

function saleLine(l: Line & { pric: Fen; amount: Fen }, sn: string): SaleLineRecord {
  return { feedetl_sn: sn, hilist_code: l.hilist_code, name: l.name, chrgitm_lv: l.chrgitm_lv, pric: l.pric, cnt_e4: l.cnt_e4, amount: l.amount, hosp_appr_flag: l.hosp_appr_flag, trace_code: l.trace_code };
}

function recordDetail(l: SaleLineRecord, extra: Record<string, unknown> = {}) {
  return {
    feedetl_sn: l.feedetl_sn,
    med_list_codg: l.hilist_code,
    medins_list_codg: l.hilist_code,
    det_item_fee_sumamt: yuan(l.amount),
    cnt: l.cnt_e4 / 10_000,
    pric: yuan(l.pric),
    hosp_appr_flag: l.hosp_appr_flag,
    ...(l.trace_code ? { drug_trac_codg: l.trace_code } : {}),
    ...extra,
  };
}

function sum(lines: SaleLineRecord[]): Fen {
  return lines.reduce((s, l) => s + l.amount, 0);
}

/** What a scan looks like on screen: an e-certificate code is shortened, never shown whole. */
function shownScan(scan: TimedScan): string {
  return scan.kind === 'ecert' ? `${scan.text.slice(0, 12)}…` : scan.text.slice(0, 64);
}

function cardFailure(err: unknown): TerminalError {
  if (err instanceof CardError) {
    const msgs: Partial<Record<CardError['code'], string>> = {
      pin_wrong: `密码错误，还可再试 ${err.triesLeft ?? '?'} 次 (wrong PIN)`,
      pin_blocked: '卡已锁定 (the card is blocked)',
      pin_invalid: '密码须为 6 位数字 (the PIN is 6 digits)',
      card_removed: '读卡时卡被拔出 (the card was pulled while reading)',
      no_service: '没有读卡服务 (pcscd)：请检查读卡器 (no PC/SC service)',
    };
    return new TerminalError(`card_${err.code}`, msgs[err.code] ?? err.message, 422);
  }
  if (err instanceof TerminalError) return err;
  return new TerminalError('card_error', (err as Error).message, 422);
}
