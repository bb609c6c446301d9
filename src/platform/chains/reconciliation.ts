/** Reconciliation with the platform: totals (3201) and record by record (3202). */
import type { SettlementRecord } from '../../ledger/records.ts';
import type { Inputs } from '../inputs.ts';
import { money, tx, type Chain, type Ctx } from './shared.ts';

async function reconcileTotals(ctx: Ctx, d: Inputs['3201']['data']) {
  const rows = (await ctx.ledger.recordsForReconciliation({ fixmedins_code: ctx.institution.fixmedins_code, from: d.stmt_begndate, to: d.stmt_enddate, setl_optins: d.setl_optins || undefined }))
    .filter((r) => r.insutype === d.insutype && r.clr_type === d.clr_type)
    .filter((r) => (d.refd_setl_flag === '1' ? true : r.kind === 'settle' && r.in_force === 1));
  const mine = {
    medfee_sumamt: rows.reduce((s, r) => s + r.medfee_sumamt, 0),
    fund_pay_sumamt: rows.reduce((s, r) => s + r.fund_pay_sumamt, 0),
    acct_pay: rows.reduce((s, r) => s + r.acct_pay, 0),
    fixmedins_setl_cnt: rows.length,
  };
  const diffs: string[] = [];
  for (const f of ['medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const) {
    if (mine[f] !== d[f]) diffs.push(`${f}: yours ${money(d[f]).toFixed(2)}, medpos ${money(mine[f]).toFixed(2)}`);
  }
  if (mine.fixmedins_setl_cnt !== d.fixmedins_setl_cnt) diffs.push(`fixmedins_setl_cnt: yours ${d.fixmedins_setl_cnt}, medpos ${mine.fixmedins_setl_cnt}`);
  return {
    stmtinfo: {
      setl_optins: d.setl_optins ?? ctx.world.data.world.admdvs,
      stmt_rslt: diffs.length ? '1' : '0',
      stmt_rslt_dscr: diffs.length ? `not balanced: ${diffs.join('; ')}` : `balanced: ${mine.fixmedins_setl_cnt} records`,
    },
  };
}

async function reconcileDetails(ctx: Ctx, d: Inputs['3202']['data']) {
  const rows = await ctx.ledger.recordsForReconciliation({ fixmedins_code: ctx.institution.fixmedins_code, from: d.stmt_begndate, to: d.stmt_enddate, setl_optins: d.setl_optins || undefined });
  const mine = new Map(rows.map((r) => [r.setl_id, r]));
  const figures = (r: SettlementRecord) => ({ medfee_sumamt: money(r.medfee_sumamt), fund_pay_sumamt: money(r.fund_pay_sumamt), acct_pay: money(r.acct_pay) });
  const seen = new Set<string>();
  const details = d.details.map((c) => {
    seen.add(c.setl_id);
    const r = mine.get(c.setl_id);
    if (!r) return { setl_id: c.setl_id, mdtrt_id: c.mdtrt_id ?? null, psn_no: c.psn_no ?? null, stmt_rslt: '2', medfee_sumamt: null, fund_pay_sumamt: null, acct_pay: null };
    const same =
      r.medfee_sumamt === c.medfee_sumamt &&
      r.fund_pay_sumamt === c.fund_pay_sumamt &&
      r.acct_pay === c.acct_pay &&
      (c.refd_setl_flag === undefined || c.refd_setl_flag === (r.kind === 'cancel' ? '1' : '0'));
    return { setl_id: r.setl_id, mdtrt_id: r.mdtrt_id, psn_no: r.psn_no, stmt_rslt: same ? '0' : '1', ...figures(r) };
  });
  for (const r of rows) {
    if (!seen.has(r.setl_id)) details.push({ setl_id: r.setl_id, mdtrt_id: r.mdtrt_id, psn_no: r.psn_no, stmt_rslt: '3', ...figures(r) });
  }
  return { details };
}

export const RECONCILIATION = {
  '3201': tx('3201', (ctx, input) => reconcileTotals(ctx, input.data)),
  '3202': tx('3202', (ctx, input) => reconcileDetails(ctx, input.data)),
} satisfies Chain;
