/**
 * The checkout: a new sale (no card or scan of before can land in it), its lines (typed, scanned,
 * priced), the pre-settlement that shows the split (2101 in a pharmacy, 2206 at a fee window), and
 * the settlement with its tender (2102 / 2207), recorded in the till once the platform answered.
 */
import { localDate, localDateTime } from '../../core/clock.ts';
import { lineAmount, type Fen } from '../../core/money.ts';
import type { TimedScan } from '../../drivers/scanner/index.ts';
import { log } from '../../log.ts';
import { TerminalError } from '../errors.ts';
import { Checkout, LEVEL_NAMES, certInput, fen, lineSplit, recordDetail, saleLine, yuan, type Line, type Notice, type Patient, type PricedLine, type Setl } from '../model.ts';
import type { CertRecord, SaleDraft, SaleRecord, Tender } from '../store.ts';
import type { PendingHold, Terminal } from '../terminal.ts';
import { identifyByEcert } from './identify.ts';
import { settleVisit, withdrawVisit } from './outpatient.ts';

export interface LineInput {
  hilist_code: string;
  pric?: Fen | undefined;
  cnt_e4?: number | undefined;
  hosp_appr_flag?: '0' | '1' | undefined;
  trace_code?: string | undefined;
}
export type LinePatch = Pick<LineInput, 'pric' | 'cnt_e4' | 'hosp_appr_flag'>;

export async function newCheckout(t: Terminal): Promise<unknown> {
  t.requireCashier();
  if (t.co?.state === 'open') await voidCheckout(t);
  const minSeq = new Map([...t.devices.cardSeqs()].map(([id, s]) => [id, s.seq + 1] as const));
  const scans = t.devices.guard.beginCheckout();
  t.co = new Checkout(t.mode, scans.startedAt, localDateTime(t.clock), minSeq, () => scans.end());
  const stale = [...t.devices.cardSeqs().values()].some((s) => s.present);
  if (stale) t.notice('warn', '读卡器中仍有上一张卡：请取出，再插入本次顾客的卡 (take the previous card out)');
  t.publish();
  return t.view();
}

export async function voidCheckout(t: Terminal): Promise<unknown> {
  const co = t.current();
  refuseIfPending(t, co);
  co.state = 'void';
  co.abort.abort();
  co.endScans();
  await withdrawVisit(t, co);
  t.publish();
  return t.view();
}

/** The till's name for the settlement request of a checkout, pending until the platform answers it. */
export const settlePurpose = (co: Checkout) => `settle:${co.id}`;

/** A checkout whose settlement was sent and not answered is frozen: only sending it again (settle) resolves it. */
export function refuseIfPending(t: Terminal, co: Checkout): void {
  if (t.store.pending(settlePurpose(co))) {
    throw new TerminalError('settlement_pending', '结算请求已发出但未收到应答：请在医保平台恢复后再次点“确认结算”，将以同一报文号重发 (a settlement is pending: settle again once the platform is back)', 409);
  }
}

// --- lines ----------------------------------------------------------------------------------

export function addLine(t: Terminal, q: LineInput): unknown {
  pushLine(t, t.current(), q);
  t.publish();
  return t.view();
}

function pushLine(t: Terminal, co: Checkout, q: LineInput): Line {
  refuseIfPending(t, co);
  const item = t.world.catalog.get(q.hilist_code);
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
    pric: q.pric ?? t.store.price(t.institution.fixmedins_code, q.hilist_code),
    cnt_e4: q.cnt_e4 ?? 10_000,
    hosp_appr_flag: q.hosp_appr_flag ?? '0',
    trace_code: q.trace_code ?? null,
    split: null,
  };
  co.lines.push(line);
  t.invalidate(co);
  return line;
}

export function updateLine(t: Terminal, no: number, q: LinePatch): unknown {
  const co = t.current();
  refuseIfPending(t, co);
  const line = co.lines.find((l) => l.no === no);
  if (!line) throw new TerminalError('line_unknown', `没有第 ${no} 行 (no line ${no})`, 404);
  if (line.trace_code && q.cnt_e4 !== undefined && q.cnt_e4 !== 10_000) throw new TerminalError('trace_code_count', '带追溯码的行数量固定为 1 (a traced package counts 1)');
  if (q.pric !== undefined) line.pric = q.pric;
  if (q.cnt_e4 !== undefined) line.cnt_e4 = q.cnt_e4;
  if (q.hosp_appr_flag !== undefined) line.hosp_appr_flag = q.hosp_appr_flag;
  line.split = null;
  t.invalidate(co);
  t.publish();
  return t.view();
}

export function removeLine(t: Terminal, no: number): unknown {
  const co = t.current();
  refuseIfPending(t, co);
  const i = co.lines.findIndex((l) => l.no === no);
  if (i < 0) throw new TerminalError('line_unknown', `没有第 ${no} 行 (no line ${no})`, 404);
  co.lines.splice(i, 1);
  t.invalidate(co);
  t.publish();
  return t.view();
}

export function searchCatalog(t: Terminal, q: string): unknown[] {
  const needle = q.trim().toUpperCase();
  if (!needle) return [];
  const date = localDate(t.clock);
  return t.world.data.catalog
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
      last_pric: ((p) => (p === null ? null : yuan(p)))(t.store.price(t.institution.fixmedins_code, i.hilist_code)),
    }));
}

// --- scans ----------------------------------------------------------------------------------

/** What a scan looks like on screen: an e-certificate code is shortened, never shown whole. */
export function shownScan(scan: TimedScan): string {
  return scan.kind === 'ecert' ? `${scan.text.slice(0, 12)}…` : scan.text.slice(0, 64);
}

/** Applies the scans waiting for the open checkout: an e-certificate identifies, a barcode adds a line. */
export async function drainScans(t: Terminal): Promise<void> {
  for (;;) {
    const co = t.co;
    if (!co || co.state !== 'open') return;
    const scan = t.devices.guard.takeFor(co.startedAt);
    if (!scan) return;
    let outcome = '';
    let level: Notice['level'] = 'info';
    try {
      if (scan.kind === 'ecert') {
        if (!t.cashier) throw new TerminalError('not_signed_in', '请先签到');
        if (co.visit || co.patient) {
          outcome = '本单已识别顾客，忽略电子凭证 (patient already identified)';
          level = 'warn';
        } else {
          await identifyByEcert(t, co, scan.text);
          outcome = '电子凭证已识别 (e-certificate accepted)';
        }
      } else if (scan.kind === 'ean13' || scan.kind === 'trace') {
        const item = t.world.itemByBarcode(scan.text);
        if (!item) {
          outcome = '目录中没有此条码的商品 (no item has this barcode)';
          level = 'warn';
        } else if (scan.kind === 'ean13') {
          const same = co.lines.find((l) => l.hilist_code === item.hilist_code && !l.trace_code);
          refuseIfPending(t, co);
          if (same) {
            same.cnt_e4 += 10_000;
            same.split = null;
            t.invalidate(co);
          } else pushLine(t, co, { hilist_code: item.hilist_code });
          outcome = `已加入 ${item.hilist_name}`;
        } else {
          pushLine(t, co, { hilist_code: item.hilist_code, trace_code: scan.text });
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
    if (level !== 'info' || scan.kind === 'ecert') t.notice(level, outcome, undefined);
    t.emit('scan', { kind: scan.kind, text: shownScan(scan), outcome, level });
    t.publish();
  }
}

// --- pre-settlement and settlement ----------------------------------------------------------

function priced(co: Checkout): PricedLine[] {
  if (co.lines.length === 0) throw new TerminalError('no_lines', '请先加入商品或收费项目 (add items first)', 409);
  const missing = co.lines.filter((l) => l.pric === null || l.pric <= 0);
  if (missing.length) throw new TerminalError('price_missing', `第 ${missing.map((l) => l.no).join('、')} 行没有单价 (enter the price)`, 409);
  return co.lines.map((l) => ({ ...l, pric: l.pric!, amount: lineAmount(l.pric! * 100, l.cnt_e4) }));
}

/** What a pre-settlement was computed for: a change to any of it asks for a new one. */
export function checkoutSig(co: Checkout): string {
  return JSON.stringify([co.insutype, co.acctUsed, co.lines.map((l) => [l.no, l.hilist_code, l.pric, l.cnt_e4, l.hosp_appr_flag, l.trace_code])]);
}

export function feeDetail(l: PricedLine, sn: string, extra: Record<string, unknown> = {}) {
  return recordDetail(saleLine(l, sn), { medins_list_name: l.name, ...extra });
}

/** 2101 (pharmacy) or 2204 + 2206 (outpatient): the split, line by line and in total; nothing is written but fee lines. */
export async function presettle(t: Terminal, acctUsed: boolean): Promise<unknown> {
  t.requireCashier();
  const co = t.current();
  const p = t.needPatient(co);
  refuseIfPending(t, co);
  co.acctUsed = acctUsed;
  const setl = await runSettlement(t, co, p, undefined);
  co.pre = { setl, sig: checkoutSig(co) };
  t.publish();
  return t.view();
}

async function runSettlement(t: Terminal, co: Checkout, p: Patient, hold: PendingHold | undefined): Promise<Setl> {
  const settle = hold !== undefined;
  const lines = priced(co);
  if (co.mode === 'outpatient') return settleVisit(t, co, p, lines, hold);
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const insutype = co.insutype!;
  const out = await t.call(
    settle ? '2102' : '2101',
    {
      druginfo: { psn_no: p.psn_no, ...certInput(p.cert), begntime: co.begntime, medfee_sumamt: yuan(total), insutype, med_type: '41', acct_used_flag: co.acctUsed ? '1' : '0' },
      drugdetail: lines.map((l) => feeDetail(l, `L${l.no}`, { fee_ocur_time: co.begntime })),
    },
    p.psn_no,
    insutype,
    hold,
  );
  const cut = new Map((out.detlcutinfo as Array<Record<string, unknown>>).map((d) => [d.feedetl_sn as string, d]));
  for (const l of co.lines) {
    const d = cut.get(`L${l.no}`);
    l.split = d ? lineSplit(d) : null;
  }
  return out.setlinfo as Setl;
}

/** 2102 / 2207, then the tender, recorded in the terminal's own table. */
export async function settle(t: Terminal, q: { tender: Tender; tendered?: Fen | undefined }): Promise<unknown> {
  const cashier = t.requireCashier();
  const co = t.current();
  const p = t.needPatient(co);
  // a settlement already sent is sent again as it was: the checks were made before it first went out
  const resend = t.store.pending(settlePurpose(co)) !== undefined;
  if (!resend && (!co.pre || co.pre.sig !== checkoutSig(co))) throw new TerminalError('presettle_first', '请先预结算并核对金额 (pre-settle and check the figures first)', 409);
  if (!resend && p.card && !p.card.present && !t.devices.cardPresent(p.card.reader, p.card.seq)) {
    throw new TerminalError('card_removed', '顾客的卡已拔出：请重新插卡并读卡后再确认 (insert the card again and read it)', 409);
  }
  const due = co.pre ? fen(co.pre.setl.psn_cash_pay) : 0;
  if (q.tender === 'cash') {
    if (q.tendered === undefined) throw new TerminalError('tendered_missing', '请输入实收现金 (enter the cash tendered)');
    if (q.tendered < due) throw new TerminalError('tendered_short', `实收 ${(q.tendered / 100).toFixed(2)} 少于应收现金 ${(due / 100).toFixed(2)} (not enough cash)`);
  }
  // what the till records is fixed before the request goes out, so that a terminal restarted before the answer can record it
  const draft = (): SaleDraft => ({
    kind: 'settle',
    init_setl_id: null,
    fixmedins_code: t.institution.fixmedins_code,
    terminal_id: t.config.terminalId,
    opter_no: cashier.opter_no,
    opter_name: cashier.opter_name,
    sign_no: cashier.sign_no,
    mdtrt_id: null,
    psn_no: p.psn_no,
    insutype: co.insutype!,
    clr_type: null,
    tender: q.tender,
    tendered: q.tender === 'cash' ? q.tendered! : null,
    cert: { ...p.cert, acct_used_flag: co.acctUsed ? '1' : '0' } as CertRecord,
    lines: priced(co).map((l) => saleLine(l, co.mode === 'pharmacy' ? `L${l.no}` : `R${co.visit!.round}-${l.no}`)),
  });
  const setl = await runSettlement(t, co, p, { purpose: settlePurpose(co), draft });
  const record = await recordSale(t, draft(), setl, settlePurpose(co));
  const cash = record.psn_cash_pay;
  if (record.tendered < cash) t.notice('warn', `结算现金 ${(cash / 100).toFixed(2)} 高于预结算：请补收 ${((cash - record.tendered) / 100).toFixed(2)}`);
  const setlId = record.setl_id;
  const lines = priced(co);
  await t.store.rememberPrices(t.institution.fixmedins_code, lines);
  co.state = 'settled';
  co.setlId = setlId;
  co.pre = { setl, sig: checkoutSig(co) };
  co.endScans();
  log.info({ setl_id: setlId, opter_no: cashier.opter_no, tender: q.tender }, 'settled');
  t.emit('sale', { setl_id: setlId, kind: 'settle' });
  t.publish();
  return t.view();
}

/**
 * A sale in the till once the platform answered: the draft completed with the settlement's ids and
 * figures, its setlinfo for the receipt, and the end of the pending request `purpose`, at once.
 */
export async function recordSale(t: Terminal, d: SaleDraft, s: Setl, purpose: string): Promise<SaleRecord> {
  const cash = fen(s.psn_cash_pay);
  const tendered = d.tendered ?? cash;
  const record: SaleRecord = {
    ...d,
    setl_id: s.setl_id as string,
    mdtrt_id: d.mdtrt_id ?? (s.mdtrt_id as string),
    clr_type: d.clr_type ?? String(s.clr_type),
    setl_date: String(s.setl_time).slice(0, 10),
    setl_time: String(s.setl_time),
    medfee_sumamt: fen(s.medfee_sumamt),
    fund_pay_sumamt: fen(s.fund_pay_sumamt),
    acct_pay: fen(s.acct_pay),
    acct_mulaid_pay: fen(s.acct_mulaid_pay),
    psn_cash_pay: cash,
    tendered,
    change_amt: Math.max(0, tendered - cash),
  };
  await t.store.addSale(record, receiptFigures(s), purpose);
  return record;
}

/** What a receipt shows of the platform's setlinfo beyond the sale record: no name or ID number is kept. */
export function receiptFigures(setl: Setl): Setl {
  const keep = ['setl_id', 'init_setl_id', 'mdtrt_id', 'psn_no', 'insutype', 'setl_time', 'mdtrt_cert_type', 'med_type', 'clr_type', 'medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt', 'fund_pay_sumamt', 'acct_pay', 'acct_mulaid_pay', 'psn_cash_pay', 'balc'];
  return Object.fromEntries(keep.filter((k) => k in setl).map((k) => [k, setl[k]]));
}
