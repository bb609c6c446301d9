/**
 * Cancellations (2103 in a pharmacy, 2208 at a fee window: a reversing record, the refund in the
 * original tender) and partial returns (cancel, then settle the kept lines again with the same
 * certificate and tender). Only today's settlements of this institution, never one already undone.
 */
import { localDate, localDateTime } from '../../core/clock.ts';
import { log } from '../../log.ts';
import { TerminalError } from '../errors.ts';
import { certInput, fen, recordDetail, sum, yuan, type Setl } from '../model.ts';
import type { CertRecord, SaleDraft, SaleLineRecord } from '../store.ts';
import type { Terminal } from '../terminal.ts';
import { recordSale } from './checkout.ts';

/** What a cancellation needs of the settlement: the till's record, or the ledger's (a settlement made by hospital software) when it is in this process. */
async function cancellable(t: Terminal, setlId: string) {
  const code = t.institution.fixmedins_code;
  const mine = t.store.sale(setlId);
  let rec: { kind: string; fixmedins_code: string; setl_date: string; clr_type: string; mdtrt_id: string; psn_no: string; insutype: string; med_type: string } | undefined;
  let undone: { setl_id: string } | undefined;
  if (mine) {
    rec = { ...mine, med_type: String(t.store.setlinfo(setlId)?.med_type ?? (mine.clr_type === '41' ? '41' : '11')) };
    undone = t.store.cancellationOf(setlId);
  } else if (t.ledger) {
    const found = await t.ledger.transaction(async (tx) => ({ rec: await tx.settlement(setlId), undone: await tx.undoneBy(setlId) }));
    rec = found.rec ?? undefined;
    undone = found.undone ?? undefined;
  }
  const today = localDate(t.clock);
  if (!rec || rec.kind !== 'settle' || rec.fixmedins_code !== code) throw new TerminalError('settlement_unknown', `本机构没有结算 ${setlId}`, 404);
  if (rec.setl_date !== today) throw new TerminalError('not_today', `只能撤销当日的结算 (only today's settlements; this one is of ${rec.setl_date})`, 409);
  if (undone) throw new TerminalError('already_cancelled', `结算 ${setlId} 已撤销 (${undone.setl_id})`, 409);
  return rec;
}

export async function cancel(t: Terminal, setlId: string): Promise<{ setl_id: string; refund: number }> {
  const cashier = t.requireCashier();
  const rec = await cancellable(t, setlId);
  const sale = t.store.sale(setlId);
  const draft = (): SaleDraft => ({
    kind: 'cancel',
    init_setl_id: setlId,
    fixmedins_code: t.institution.fixmedins_code,
    terminal_id: t.config.terminalId,
    opter_no: cashier.opter_no,
    opter_name: cashier.opter_name,
    sign_no: cashier.sign_no,
    mdtrt_id: rec.mdtrt_id,
    psn_no: rec.psn_no,
    insutype: rec.insutype,
    clr_type: rec.clr_type,
    tender: sale?.tender ?? 'cash',
    tendered: null,
    cert: sale?.cert ?? { mdtrt_cert_type: '02', mdtrt_cert_no: '' },
    lines: sale?.lines ?? [],
  });
  const out = await t.call(rec.clr_type === '41' ? '2103' : '2208', { data: { setl_id: setlId, mdtrt_id: rec.mdtrt_id, psn_no: rec.psn_no } }, rec.psn_no, rec.insutype, { purpose: `cancel:${setlId}`, draft });
  const s = out.setlinfo as Setl;
  const cancelId = (await recordSale(t, draft(), s, `cancel:${setlId}`)).setl_id;
  log.info({ setl_id: setlId, cancel: cancelId, opter_no: cashier.opter_no }, 'settlement cancelled');
  t.emit('sale', { setl_id: cancelId, kind: 'cancel' });
  return { setl_id: cancelId, refund: yuan(-fen(s.psn_cash_pay)) };
}

export async function partialReturn(t: Terminal, setlId: string, keep: string[]): Promise<{ cancel_setl_id: string; setl_id: string; refund: number }> {
  const cashier = t.requireCashier();
  const rec = await cancellable(t, setlId);
  const sale = t.store.sale(setlId);
  if (!sale) throw new TerminalError('not_terminal_sale', '该结算不是本终端收款的，不能部分退货 (not settled at this terminal)', 409);
  const kept = sale.lines.filter((l) => keep.includes(l.feedetl_sn));
  if (kept.length !== new Set(keep).size) throw new TerminalError('line_unknown', '保留的行不属于该结算 (a kept line is not on the sale)');
  if (kept.length === 0) throw new TerminalError('keep_nothing', '全部退货请用“撤销” (to return everything, cancel the settlement)');
  if (kept.length === sale.lines.length) throw new TerminalError('return_nothing', '没有选择要退的行 (choose the lines to return)');
  const cert = sale.cert as CertRecord & { acct_used_flag?: string };
  const acct = cert.acct_used_flag ?? '1';
  const cancelled = await cancel(t, setlId);
  const certIn = certInput(cert);
  let newLines: SaleLineRecord[] = [];
  // the kept lines, settled again with the sale's certificate and tender
  const draft = (): SaleDraft => ({
    kind: 'settle',
    init_setl_id: null,
    fixmedins_code: sale.fixmedins_code,
    terminal_id: t.config.terminalId,
    opter_no: cashier.opter_no,
    opter_name: cashier.opter_name,
    sign_no: cashier.sign_no,
    mdtrt_id: null,
    psn_no: sale.psn_no,
    insutype: sale.insutype,
    clr_type: null,
    tender: sale.tender,
    tendered: null,
    cert: sale.cert,
    lines: newLines,
  });
  const hold = { purpose: `resettle:${setlId}`, draft };
  const begntime = localDateTime(t.clock);
  let setl: Setl;
  try {
    if (rec.clr_type === '41') {
      newLines = kept.map((l, i) => ({ ...l, feedetl_sn: `K${i + 1}` }));
      const out = await t.call(
        '2102',
        {
          druginfo: { psn_no: rec.psn_no, ...certIn, begntime, medfee_sumamt: yuan(sum(newLines)), insutype: rec.insutype, med_type: '41', acct_used_flag: acct },
          drugdetail: newLines.map((l) => recordDetail(l)),
        },
        rec.psn_no,
        rec.insutype,
        hold,
      );
      setl = out.setlinfo as Setl;
    } else {
      const batch = `K${await t.nextSeq('terminal_return')}`;
      newLines = kept.map((l, i) => ({ ...l, feedetl_sn: `${batch}-${i + 1}` }));
      await t.call('2205', { data: { mdtrt_id: rec.mdtrt_id, chrg_bchno: '0000', psn_no: rec.psn_no } }, rec.psn_no, rec.insutype);
      await t.call('2204', { feedetail: newLines.map((l) => recordDetail(l, { mdtrt_id: rec.mdtrt_id, psn_no: rec.psn_no, chrg_bchno: batch })) }, rec.psn_no, rec.insutype);
      const out = await t.call(
        '2207',
        { data: { psn_no: rec.psn_no, ...certIn, med_type: rec.med_type, medfee_sumamt: yuan(sum(newLines)), psn_setlway: '01', mdtrt_id: rec.mdtrt_id, chrg_bchno: batch, acct_used_flag: acct, insutype: rec.insutype } },
        rec.psn_no,
        rec.insutype,
        hold,
      );
      setl = out.setlinfo as Setl;
    }
  } catch (err) {
    const e = err as TerminalError;
    throw new TerminalError(e.err_code ?? 'resettle_failed', `原结算已撤销 (${cancelled.setl_id})，但保留部分未能重新结算：${e.message}。请新开一单结算保留的商品。`, 422);
  }
  const cash = (await recordSale(t, draft(), setl, hold.purpose)).psn_cash_pay;
  t.emit('sale', { setl_id: setl.setl_id as string, kind: 'settle' });
  return { cancel_setl_id: cancelled.setl_id, setl_id: setl.setl_id as string, refund: yuan(sale.psn_cash_pay - cash) };
}
