/** The inpatient chain: fee upload with refund lines (2301) and withdrawal (2302). */
import { ALL_LINES, checkWithdraw, checkWithdrawAll, planUpload, type StoredFeeLine, type UploadLine } from '../../../core/fee-lines.ts';
import { checkHospital } from '../../../core/inpatient.ts';
import { Refusal } from '../../../core/settle.ts';
import { requireVisitTransition } from '../../../core/visit.ts';
import { lineResult } from '../../outputs.ts';
import { tx, type Chain } from '../shared.ts';
import { requireStay, storedLine } from './stay.ts';

export const INPATIENT_FEES = {
  '2301': tx('2301', async (ctx, input) => {
    checkHospital(ctx.institution);
    const lines = input.feedetail;
    // every visit named, checked once; then the stored lines the upload refers to, one query a visit
    const stored = new Map<string, Map<string, StoredFeeLine & { refunded: number }>>();
    for (const l of lines) {
      if (stored.has(l.mdtrt_id)) continue;
      const stay = await requireStay(ctx, l.mdtrt_id, l.psn_no);
      requireVisitTransition(stay.state, { kind: 'fee_lines' });
      const mine = lines.filter((x) => x.mdtrt_id === l.mdtrt_id);
      const bad = mine.find((x) => x.psn_no !== stay.psn_no);
      if (bad) throw new Refusal('visit_mismatch', `line ${bad.feedetl_sn}: visit ${l.mdtrt_id} is not of person ${bad.psn_no}`);
      const sns = [...new Set(mine.flatMap((x) => [x.feedetl_sn, ...(x.init_feedetl_sn ? [x.init_feedetl_sn] : [])]))];
      const rows = await ctx.ledger.stayLinesBySn(l.mdtrt_id, sns);
      stored.set(l.mdtrt_id, new Map(rows.map((r) => [r.feedetl_sn, { ...storedLine(r), refunded: r.refunded_cnt_e4 }])));
    }
    const upload: UploadLine[] = lines.map((l) => ({
      mdtrt_id: l.mdtrt_id,
      feedetl_sn: l.feedetl_sn,
      init_feedetl_sn: l.init_feedetl_sn,
      med_list_codg: l.med_list_codg,
      pricE4: l.pric,
      cntE4: l.cnt,
      amount: l.det_item_fee_sumamt,
      hosp_appr_flag: l.hosp_appr_flag || null,
    }));
    const planned = planUpload(
      upload,
      { line: (m, sn) => stored.get(m)?.get(sn), refundedCntE4: (m, sn) => stored.get(m)?.get(sn)?.refunded ?? 0 },
      (code) => ctx.world.catalog.get(code),
      ctx.stamp.date,
    );
    await ctx.ledger.insertStayLines(
      planned.map((p, i) => ({
        mdtrt_id: p.mdtrt_id,
        feedetl_sn: p.feedetl_sn,
        chrg_bchno: lines[i]!.chrg_bchno ?? null,
        med_list_codg: p.med_list_codg,
        pric_e4: p.pricE4,
        cnt_e4: p.cntE4,
        amount: p.split.amount,
        hosp_appr_flag: p.hosp_appr_flag,
        body: JSON.stringify(lines[i]),
        msgid: ctx.msgid,
        at: ctx.stamp.time,
        init_feedetl_sn: p.init_feedetl_sn,
        fulamt_ownpay_amt: p.split.fulamt_ownpay_amt,
        overlmt_amt: p.split.overlmt_amt,
        preselfpay_amt: p.split.preselfpay_amt,
        inscp_scp_amt: p.split.inscp_scp_amt,
        chrgitm_lv: p.split.chrgitm_lv,
        selfpay_prop: p.split.selfpay_prop,
        pric_uplmt_amt: p.split.pric_uplmt_amt,
        lmt_used_flag: p.split.lmt_used_flag,
        split_date: p.split_date,
        fee_ocur_time: lines[i]!.fee_ocur_time ?? null,
      })),
    );
    for (const mdtrtId of stored.keys()) await ctx.ledger.updateVisit(mdtrtId, { lines_added: lines.filter((l) => l.mdtrt_id === mdtrtId).length });
    return { result: planned.map((p) => lineResult(p.split, p, ctx.world.catalog.get(p.med_list_codg))) };
  }),
  '2302': tx('2302', async (ctx, input) => {
    const d = input.data;
    const stay = await requireStay(ctx, d.mdtrt_id, d.psn_no);
    requireVisitTransition(stay.state, { kind: 'fee_lines' });
    if (d.feedetl_sn === ALL_LINES) {
      if ((await ctx.ledger.withdrawUnsettled(d.mdtrt_id, ctx.msgid, ctx.stamp.time)) === 0) checkWithdrawAll([]);
    } else {
      const row = (await ctx.ledger.stayLinesBySn(d.mdtrt_id, [d.feedetl_sn]))[0];
      checkWithdraw(row && storedLine(row), d.feedetl_sn, row?.live_refunds ?? 0);
      await ctx.ledger.withdrawFeeLine(row!.id, ctx.msgid, ctx.stamp.time);
    }
    await ctx.ledger.updateVisit(d.mdtrt_id, {});
    return {};
  }),
} satisfies Chain;
