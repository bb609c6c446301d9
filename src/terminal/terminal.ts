/**
 * The cashier terminal's shell: the state every flow shares (the cashier, the open checkout), the
 * cashier lock (one operation at a time), the device wiring, and the one way to the platform
 * (`call`). The flows live in ./flows by name: shift, identify, checkout (pharmacy and the common
 * steps), outpatient, inpatient, returns, day, virtual-devices. Every platform transaction goes through
 * `call`, with a whole envelope the terminal fills (institution, cashier, sign_no, the patient's
 * insured area).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { FixedClock, localDate, localDateTime, stamp, type Clock } from '../core/clock.ts';
import type { Fen } from '../core/money.ts';
import { Serial } from '../core/serial.ts';
import type { Institution, WorldIndex } from '../core/world.ts';
import type { LedgerStore } from '../ledger/types.ts';
import { log } from '../log.ts';
import type { RequestEnvelope } from '../platform/envelope.ts';
import type { Devices } from './devices.ts';
import { TerminalError } from './errors.ts';
import { PlatformUnavailable, type PlatformClient } from './platform-client.ts';
import * as checkout from './flows/checkout.ts';
import * as identify from './flows/identify.ts';
import { Ward } from './flows/inpatient.ts';
import * as outpatient from './flows/outpatient.ts';
import { resolvePending } from './flows/pending.ts';
import * as returns from './flows/returns.ts';
import * as shift from './flows/shift.ts';
import * as virtual from './flows/virtual-devices.ts';
import type { Cashier, Checkout, Notice, Patient } from './model.ts';
import type { SaleDraft, TerminalStore, Tender } from './store.ts';
import { checkoutView } from './view.ts';

export { fen, yuan, LEVEL_NAMES, INSUTYPE_NAMES, type Cashier, type Notice } from './model.ts';

export interface TerminalEvents {
  checkout: [unknown];
  cashier: [Cashier | null];
  clock: [{ now: string; date: string }];
  scan: [{ kind: string; text: string; outcome: string; level: Notice['level'] }];
  sale: [{ setl_id: string; kind: 'settle' | 'cancel' }];
}

/** A request kept in the till until answered: its name, and what the till will record when it succeeds. */
export interface PendingHold {
  purpose: string;
  draft?: () => SaleDraft;
}

export interface TerminalConfig {
  institution: Institution;
  terminalId: string;
  tester: boolean;
}

export class Terminal extends EventEmitter<TerminalEvents> {
  readonly store: TerminalStore;
  /** The shift's cashier (flows/shift.ts). */
  cashier: Cashier | null = null;
  /** The checkout on screen, open or just ended (flows/checkout.ts). */
  co: Checkout | null = null;
  /** The inpatient window's stays (flows/inpatient.ts). */
  readonly ward = new Ward();
  private scanChain: Promise<void> = Promise.resolve();
  /** One cashier operation at a time: each awaits the platform, and none may see another's half-done checkout. */
  private readonly serial = new Serial();

  constructor(
    readonly platform: PlatformClient,
    /** The ledger, when the platform runs in this process (null for a terminal that settles remotely). */
    readonly ledger: LedgerStore | null,
    readonly world: WorldIndex,
    readonly clock: Clock,
    readonly devices: Devices,
    readonly config: TerminalConfig,
    store: TerminalStore,
  ) {
    super();
    this.store = store;
    devices.on('scan', () => {
      this.scanChain = this.scanChain.then(() => this.exclusive(() => checkout.drainScans(this))).catch((err) => log.error({ err }, 'scan handling failed'));
    });
    devices.on('drop', ({ scan, reason }) => {
      const why: Record<string, string> = {
        no_checkout: '没有进行中的结算单，已忽略 (no checkout waiting)',
        before_checkout: '扫于本单开始之前，已丢弃 (scanned before this checkout)',
        stale: '扫码已过期，已丢弃 (stale scan)',
        overflow: '扫码过多，已丢弃 (too many scans)',
        checkout_ended: '结算单已结束，已丢弃 (checkout ended)',
      };
      this.emit('scan', { kind: scan.kind, text: checkout.shownScan(scan), outcome: why[reason] ?? reason, level: 'warn' });
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

  // --- what the flows share -----------------------------------------------------------------

  /**
   * One transaction through the platform; a refusal becomes a TerminalError with the platform's
   * err_code. With `hold` (a settlement, a cancellation) the envelope and the draft of what the
   * till will record are kept before it is sent, and a request still pending under that name is
   * sent again as it was, same msgid: a settlement whose answer never came is applied once.
   */
  async call(infno: string, input: Record<string, unknown>, psnNo?: string, insutype?: string, hold?: PendingHold): Promise<Record<string, unknown>> {
    const pending = hold?.purpose;
    const held = pending ? this.store.pending(pending) : undefined;
    const env = (held?.envelope as RequestEnvelope | undefined) ?? this.envelope(infno, input, psnNo, insutype);
    if (hold && !held) await this.store.holdPending(hold.purpose, env.msgid, env, hold.draft?.() ?? null);
    if (held) log.info({ msgid: held.msgid, infno: env.infno }, 'sending a pending request again with its msgid');
    return this.send(env, pending);
  }

  /** Sends an envelope (a pending one as it was kept); a refusal ends the till's pending row, a success leaves it to `recordSale`. */
  async send(env: RequestEnvelope, pending?: string): Promise<Record<string, unknown>> {
    const infno = env.infno;
    let resp;
    try {
      resp = await this.platform.call(env);
    } catch (err) {
      if (!(err instanceof PlatformUnavailable)) throw err;
      log.warn({ infno: env.infno, msgid: env.msgid, platform: this.platform.where }, 'the platform is unreachable');
      throw new TerminalError(
        'platform_unavailable',
        `医保平台无法连接，本单未完成、仍保持打开${pending ? '；恢复后请再次确认，将以同一报文号重发，不会重复扣费' : ''} (the platform is unreachable: ${err.message})`,
        503,
      );
    }
    // the platform's own "unavailable" wrote nothing, but the request stays pending all the same: sent again, it is applied once
    if (resp.err_code === 'platform_unavailable') throw new TerminalError('platform_unavailable', `医保平台暂不可用，本单仍保持打开 (${resp.err_msg ?? 'unavailable'})`, 503);
    if (resp.infcode !== 0) {
      // refused: nothing was applied, nothing is left to resend (an answer that succeeded ends its pending row with the sale it records)
      if (pending) await this.store.clearPending(pending);
      log.info({ infno, err_code: resp.err_code }, 'the platform refused a terminal request');
      throw new TerminalError(resp.err_code ?? 'refused', resp.err_msg ?? 'refused', 422);
    }
    return (resp.output ?? {}) as Record<string, unknown>;
  }

  /** A whole envelope: the institution, the cashier and sign_no, the patient's insured area, a msgid of the terminal's. */
  private envelope(infno: string, input: Record<string, unknown>, psnNo?: string, insutype?: string): RequestEnvelope {
    const admdvs = this.world.data.world.admdvs;
    const person = psnNo ? this.world.persons.get(psnNo) : undefined;
    const insured = person?.insuinfo.find((i) => i.insutype === insutype)?.insuplc_admdvs ?? person?.insuinfo[0]?.insuplc_admdvs;
    return {
      infno,
      msgid: newMsgid(this.institution.fixmedins_code, this.clock),
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
  }

  /** The next number of a till sequence the terminal draws on (outpatient numbers, return batches). */
  nextSeq(name: string): Promise<number> {
    return this.store.nextSeq(name);
  }

  /** Runs one cashier operation after those before it. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.serial.run(fn);
  }

  requireCashier(): Cashier {
    return shift.requireCashier(this);
  }

  notice(level: Notice['level'], text: string, err_code?: string): void {
    if (!this.co) return;
    this.co.notices.push({ at: localDateTime(this.clock).slice(11), level, text, err_code });
    if (this.co.notices.length > 20) this.co.notices.shift();
  }

  publish(): void {
    this.emit('checkout', this.view());
  }

  /** The open checkout, or a refusal that asks for one. */
  current(): Checkout {
    if (!this.co || this.co.state !== 'open') throw new TerminalError('no_checkout', '没有进行中的结算单：请点“新结算” (start a checkout first)', 409);
    return this.co;
  }

  /** Does the open checkout own the card in the reader (its patient was identified by that card, still in)? */
  holdsCard(): boolean {
    const card = this.co?.state === 'open' ? this.co.patient?.card : null;
    return !!card && this.devices.cardPresent(card.reader, card.seq);
  }

  /** A change to the checkout: the pre-settlement shown no longer holds. */
  invalidate(co: Checkout): void {
    co.pre = null;
  }

  needPatient(co: Checkout): Patient {
    if (!co.patient || !co.insutype) throw new TerminalError('not_identified', '请先识别顾客：读卡、扫电子凭证或输入身份证号 (identify the patient first)', 409);
    return co.patient;
  }

  view(): unknown {
    return checkoutView(this.co);
  }

  // --- the cashier's operations, each under the lock ------------------------------------------

  signIn(opterNo: string, opterName: string): Promise<Cashier> {
    return this.exclusive(() => shift.signIn(this, opterNo, opterName));
  }

  signOut(): Promise<void> {
    return this.exclusive(() => shift.signOut(this));
  }

  /** A new checkout: the previous one (if still open) is voided; no card or scan of before can land in it. */
  newCheckout(): Promise<unknown> {
    return this.exclusive(() => checkout.newCheckout(this));
  }

  /** Voids the open checkout; a card read in progress is aborted at once, before the lock is taken. */
  voidCheckout(): Promise<unknown> {
    if (this.co?.state === 'open') this.co.abort.abort();
    return this.exclusive(() => checkout.voidCheckout(this));
  }

  /** Takes the lock itself, after the card is read. */
  identify(q: identify.IdentifyQuery): Promise<unknown> {
    return identify.identify(this, q);
  }

  setInsutype(insutype: string): Promise<unknown> {
    return this.exclusive(() => identify.setInsutype(this, insutype));
  }

  reveal(): { name: string; certno: string; holder: { name: string; certno: string } | null } {
    return identify.reveal(this);
  }

  /** Outpatient mode: 2201 register (and 2203 visit info: general outpatient). */
  register(): Promise<unknown> {
    return this.exclusive(async () => {
      this.requireCashier();
      await outpatient.ensureRegistered(this, this.current());
      this.publish();
      return this.view();
    });
  }

  addLine(q: checkout.LineInput): Promise<unknown> {
    return this.exclusive(() => checkout.addLine(this, q));
  }

  updateLine(no: number, q: checkout.LinePatch): Promise<unknown> {
    return this.exclusive(() => checkout.updateLine(this, no, q));
  }

  removeLine(no: number): Promise<unknown> {
    return this.exclusive(() => checkout.removeLine(this, no));
  }

  searchCatalog(q: string): unknown[] {
    return checkout.searchCatalog(this, q);
  }

  presettle(acctUsed: boolean): Promise<unknown> {
    return this.exclusive(() => checkout.presettle(this, acctUsed));
  }

  settle(q: { tender: Tender; tendered?: Fen | undefined }): Promise<unknown> {
    return this.exclusive(() => checkout.settle(this, q));
  }

  /** 2103 / 2208: a reversing record; the terminal records the refund in the original tender. */
  cancel(setlId: string): Promise<{ setl_id: string; refund: number }> {
    return this.exclusive(() => returns.cancel(this, setlId));
  }

  /** Partial return: cancel the settlement, then settle the lines kept with the same certificate and tender. */
  partialReturn(setlId: string, keep: string[]): Promise<{ cancel_setl_id: string; setl_id: string; refund: number }> {
    return this.exclusive(() => returns.partialReturn(this, setlId, keep));
  }

  /**
   * Sends again, now and then every `everyMs` while any is left, the requests an earlier run left
   * pending in the till; returns the function that stops it.
   */
  startRecovery(everyMs = 30_000): () => void {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const run = async () => {
      const left = await this.exclusive(() => resolvePending(this)).catch((err: unknown) => {
        log.error({ err }, 'resolving pending requests failed');
        return 1;
      });
      if (left > 0 && !stopped) timer = setTimeout(() => void run(), everyMs).unref();
    };
    if (this.store.allPending().length > 0) void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  // --- tester mode ----------------------------------------------------------------------------

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

  showEcert(psnNo: string, ageS = 0): Promise<{ via: 'pty' | 'direct' }> {
    return virtual.showEcert(this, psnNo, ageS);
  }

  fixtures(): unknown {
    return virtual.fixtures(this);
  }
}

/** fixmedins_code (12) + yyyyMMddHHmmss + 4 random base-36 characters: 30 at most, drawn by the terminal so that it can resend it. */
function newMsgid(fixmedinsCode: string, clock: Clock): string {
  const rand = randomBytes(4).readUInt32BE(0).toString(36).padStart(4, '0').slice(-4).toUpperCase();
  return `${fixmedinsCode.slice(0, 12)}${stamp(clock).compact}${rand}`;
}
