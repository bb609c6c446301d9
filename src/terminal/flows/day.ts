/**
 * End of day. The totals by insurance type and clearing type are the figures a point of sale sends
 * to 3201: the terminal's own records of the day (settlements and cancellations, amounts with their
 * signs, each record counted once, as with refd_setl_flag "1"). `check` sends them to 3201 so the
 * platform says whether it agrees. The day's list and its chart come from the platform's records
 * of this institution, so settlements made by hospital software over HTTP show too.
 */
import { maskId, maskName } from '../../core/mask.ts';
import type { Fen } from '../../core/money.ts';
import { INSUTYPE_NAMES, fen, yuan } from '../model.ts';
import type { SaleRecord } from '../store.ts';
import type { Terminal } from '../terminal.ts';

interface Sums {
  count: number;
  medfee_sumamt: Fen;
  fund_pay_sumamt: Fen;
  acct_pay: Fen;
  acct_mulaid_pay: Fen;
  psn_cash_pay: Fen;
}

const zero = (): Sums => ({ count: 0, medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, acct_mulaid_pay: 0, psn_cash_pay: 0 });

function add(s: Sums, r: Omit<Sums, 'count'>): void {
  s.count += 1;
  s.medfee_sumamt += r.medfee_sumamt;
  s.fund_pay_sumamt += r.fund_pay_sumamt;
  s.acct_pay += r.acct_pay;
  s.acct_mulaid_pay += r.acct_mulaid_pay;
  s.psn_cash_pay += r.psn_cash_pay;
}

const out = (s: Sums) => ({
  count: s.count,
  medfee_sumamt: yuan(s.medfee_sumamt),
  fund_pay_sumamt: yuan(s.fund_pay_sumamt),
  acct_pay: yuan(s.acct_pay),
  acct_mulaid_pay: yuan(s.acct_mulaid_pay),
  psn_cash_pay: yuan(s.psn_cash_pay),
});

const TENDER_NAMES: Record<string, string> = { cash: '现金 cash', bank: '银行卡 bank card', mobile: '移动支付 mobile' };
const CLR_NAMES: Record<string, string> = { '41': '药店购药', '11': '普通门诊' };

export async function dayReport(t: Terminal, date: string) {
  const code = t.institution.fixmedins_code;
  const sales = t.store.day(code, date);
  const byGroup = new Map<string, Sums>();
  const byTender = new Map<string, Sums>();
  const byCashier = new Map<string, Sums & { name: string; settlements: number; cancellations: number }>();
  for (const s of sales) {
    const g = `${s.insutype}|${s.clr_type}`;
    if (!byGroup.has(g)) byGroup.set(g, zero());
    add(byGroup.get(g)!, s);
    if (!byTender.has(s.tender)) byTender.set(s.tender, zero());
    add(byTender.get(s.tender)!, s);
    if (!byCashier.has(s.opter_no)) byCashier.set(s.opter_no, { ...zero(), name: s.opter_name, settlements: 0, cancellations: 0 });
    const c = byCashier.get(s.opter_no)!;
    add(c, s);
    if (s.kind === 'settle') c.settlements += 1;
    else c.cancellations += 1;
  }
  const mine = new Map(sales.map((s) => [s.setl_id, s]));
  // beside its ledger the terminal lists every record of the day (hospital software's too); remotely, its own
  const records = t.ledger ? await t.ledger.transaction((tx) => tx.recordsForReconciliation({ fixmedins_code: code, from: date, to: date })) : sales.map((s) => tillRecord(t, s));
  const chart = { fund: 0, acct: 0, cash: 0, hours: new Map<string, { fund: Fen; acct: Fen; cash: Fen }>() };
  for (const r of records) {
    chart.fund += r.fund_pay_sumamt;
    chart.acct += r.acct_pay;
    chart.cash += r.psn_cash_pay;
    const h = r.setl_time.slice(11, 13);
    const bucket = chart.hours.get(h) ?? { fund: 0, acct: 0, cash: 0 };
    bucket.fund += r.fund_pay_sumamt;
    bucket.acct += r.acct_pay;
    bucket.cash += r.psn_cash_pay;
    chart.hours.set(h, bucket);
  }
  return {
    date,
    institution: { fixmedins_code: code, fixmedins_name: t.institution.fixmedins_name },
    groups: [...byGroup].map(([k, s]) => {
      const [insutype, clr_type] = k.split('|') as [string, string];
      return { insutype, insutype_name: INSUTYPE_NAMES[insutype] ?? insutype, clr_type, clr_name: CLR_NAMES[clr_type] ?? clr_type, ...out(s) };
    }),
    tenders: [...byTender].map(([k, s]) => ({ tender: k, name: TENDER_NAMES[k] ?? k, ...out(s) })),
    cashiers: [...byCashier].map(([k, s]) => ({ opter_no: k, opter_name: s.name, settlements: s.settlements, cancellations: s.cancellations, ...out(s) })),
    records: records.map((r) => {
      const sale = mine.get(r.setl_id);
      const person = t.world.persons.get(r.psn_no);
      return {
        setl_id: r.setl_id,
        kind: r.kind,
        init_setl_id: r.init_setl_id,
        in_force: r.in_force === 1,
        setl_time: r.setl_time,
        mdtrt_id: r.mdtrt_id,
        patient: person ? maskName(person.baseinfo.psn_name) : '?',
        insutype: r.insutype,
        clr_type: r.clr_type,
        medfee_sumamt: yuan(r.medfee_sumamt),
        fund_pay_sumamt: yuan(r.fund_pay_sumamt),
        acct_pay: yuan(r.acct_pay),
        acct_mulaid_pay: yuan(r.acct_mulaid_pay),
        psn_cash_pay: yuan(r.psn_cash_pay),
        source: sale ? sale.terminal_id : 'HIS 接口',
        cashier: sale?.opter_name ?? null,
        tender: sale?.tender ?? null,
        lines: sale && r.kind === 'settle' ? sale.lines.map((l) => ({ feedetl_sn: l.feedetl_sn, name: l.name, amount: yuan(l.amount), cnt: l.cnt_e4 / 10_000, trace_code: l.trace_code })) : [],
      };
    }),
    split: {
      fund: yuan(chart.fund),
      acct: yuan(chart.acct),
      cash: yuan(chart.cash),
      hours: [...chart.hours].sort(([a], [b]) => (a < b ? -1 : 1)).map(([hour, b]) => ({ hour, fund: yuan(b.fund), acct: yuan(b.acct), cash: yuan(b.cash) })),
    },
  };
}

/** 3201 for every (insutype, clr_type) of the terminal's day: does the platform agree? */
export async function checkDay(t: Terminal, date: string) {
  const report = await dayReport(t, date);
  const checks = [];
  for (const g of report.groups) {
    try {
      const o = await t.call('3201', {
        data: {
          insutype: g.insutype,
          clr_type: g.clr_type,
          stmt_begndate: date,
          stmt_enddate: date,
          medfee_sumamt: g.medfee_sumamt,
          fund_pay_sumamt: g.fund_pay_sumamt,
          acct_pay: g.acct_pay,
          fixmedins_setl_cnt: g.count,
          refd_setl_flag: '1',
        },
      });
      const s = o.stmtinfo as { stmt_rslt: string; stmt_rslt_dscr: string };
      checks.push({ insutype: g.insutype, clr_type: g.clr_type, stmt_rslt: s.stmt_rslt, stmt_rslt_dscr: s.stmt_rslt_dscr });
    } catch (err) {
      checks.push({ insutype: g.insutype, clr_type: g.clr_type, stmt_rslt: 'error', stmt_rslt_dscr: (err as Error).message });
    }
  }
  return checks;
}

/** A receipt: the platform's settlement record and the terminal's own (tender, lines). */
export async function receipt(t: Terminal, setlId: string) {
  const sale = t.store.sale(setlId);
  let rec: Omit<ReturnType<typeof tillRecord>, 'in_force'> | undefined;
  let undone: { setl_id: string } | undefined;
  if (sale && t.store.setlinfo(setlId)) {
    rec = tillRecord(t, sale);
    undone = t.store.cancellationOf(setlId);
  } else if (t.ledger) {
    const found = await t.ledger.transaction(async (tx) => ({ rec: await tx.settlement(setlId), undone: await tx.undoneBy(setlId) }));
    rec = found.rec;
    undone = found.undone;
  }
  if (!rec || rec.fixmedins_code !== t.institution.fixmedins_code) return undefined;
  const person = t.world.persons.get(rec.psn_no);
  return {
    setl_id: rec.setl_id,
    kind: rec.kind,
    init_setl_id: rec.init_setl_id,
    cancelled_by: undone?.setl_id ?? null,
    mdtrt_id: rec.mdtrt_id,
    setl_time: rec.setl_time,
    institution: { fixmedins_code: t.institution.fixmedins_code, fixmedins_name: t.institution.fixmedins_name },
    terminal_id: sale?.terminal_id ?? null,
    cashier: sale ? `${sale.opter_name} (${sale.opter_no})` : null,
    patient: person ? maskName(person.baseinfo.psn_name) : '?',
    certno: person ? maskId(person.baseinfo.certno) : '',
    insutype: rec.insutype,
    insutype_name: INSUTYPE_NAMES[rec.insutype] ?? rec.insutype,
    med_type: rec.med_type,
    mdtrt_cert_type: rec.mdtrt_cert_type,
    lines: (sale?.lines ?? []).map((l) => ({
      name: l.name,
      hilist_code: l.hilist_code,
      lv: l.chrgitm_lv ? ({ '01': '甲', '02': '乙', '03': '丙' } as Record<string, string>)[l.chrgitm_lv] : '—',
      pric: yuan(l.pric),
      cnt: l.cnt_e4 / 10_000,
      amount: yuan(l.amount),
      trace_code: l.trace_code,
    })),
    medfee_sumamt: yuan(rec.medfee_sumamt),
    fulamt_ownpay_amt: yuan(rec.fulamt_ownpay_amt),
    overlmt_selfpay: yuan(rec.overlmt_selfpay),
    preselfpay_amt: yuan(rec.preselfpay_amt),
    fund_pay_sumamt: yuan(rec.fund_pay_sumamt),
    acct_pay: yuan(rec.acct_pay),
    own_acct_pay: yuan(rec.acct_pay - rec.acct_mulaid_pay),
    acct_mulaid_pay: yuan(rec.acct_mulaid_pay),
    psn_cash_pay: yuan(rec.psn_cash_pay),
    balc: yuan(rec.balc),
    tender: sale?.tender ?? null,
    tender_name: sale ? TENDER_NAMES[sale.tender] : null,
    tendered: sale ? yuan(sale.tendered) : null,
    change: sale ? yuan(sale.change_amt) : null,
    printed: sale?.printed ?? 0,
  };
}

/** A settlement record as the till knows it: the sale and the platform's setlinfo kept with it. */
function tillRecord(t: Terminal, sale: SaleRecord) {
  const info = t.store.setlinfo(sale.setl_id) ?? {};
  const f = (k: string) => fen(info[k]);
  return {
    setl_id: sale.setl_id,
    kind: sale.kind as string,
    init_setl_id: sale.init_setl_id,
    in_force: sale.kind === 'settle' && !t.store.cancellationOf(sale.setl_id) ? 1 : 0,
    fixmedins_code: sale.fixmedins_code,
    setl_time: sale.setl_time,
    mdtrt_id: sale.mdtrt_id,
    psn_no: sale.psn_no,
    insutype: sale.insutype,
    clr_type: sale.clr_type,
    med_type: String(info.med_type ?? ''),
    mdtrt_cert_type: String(info.mdtrt_cert_type ?? sale.cert.mdtrt_cert_type),
    medfee_sumamt: sale.medfee_sumamt,
    fund_pay_sumamt: sale.fund_pay_sumamt,
    acct_pay: sale.acct_pay,
    acct_mulaid_pay: sale.acct_mulaid_pay,
    psn_cash_pay: sale.psn_cash_pay,
    fulamt_ownpay_amt: f('fulamt_ownpay_amt'),
    overlmt_selfpay: f('overlmt_selfpay'),
    preselfpay_amt: f('preselfpay_amt'),
    balc: f('balc'),
  };
}
