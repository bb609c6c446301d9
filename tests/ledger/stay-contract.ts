/**
 * The ledger contract for hospital stays, stored splits, setldetail rows, the further counters and
 * filings (issue 12): the same assertions on every engine, run from contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseWorld, readWorldFiles } from '../../src/core/world.ts';
import type { SettlementRecord, StoredSplit } from '../../src/ledger/records.ts';
import type { NewStayLine } from '../../src/ledger/types.ts';
import { WORLDS } from '../helpers.ts';
import type { EngineHarness, FreshLedger } from './contract.ts';

const YEAR = 2026;
const KEY = Buffer.alloc(32, 7);
/** 马建华 (310, ytd ipt_cnt 1 ...), 曹玉梅 (390, a chronic filing and counters). */
const MA = '44030000000000000020';
const CAO = '44030000000000000024';
const HOSP = 'H44030000002';

async function loaded(h: EngineHarness): Promise<FreshLedger> {
  const f = await h.fresh();
  await f.store.loadWorld(readWorldFiles(WORLDS.demo) as unknown as Record<string, unknown>, parseWorld(readWorldFiles(WORLDS.demo)), YEAR, KEY);
  return f;
}

const split = (over: Partial<StoredSplit> = {}): StoredSplit => ({
  init_feedetl_sn: null, fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0, chrgitm_lv: '01', selfpay_prop: 0,
  pric_uplmt_amt: null, lmt_used_flag: '0', split_date: '2026-11-20', fee_ocur_time: null, ...over,
});

function line(mdtrtId: string, sn: string, amount: number, over: Partial<NewStayLine> = {}): NewStayLine {
  return {
    mdtrt_id: mdtrtId, feedetl_sn: sn, chrg_bchno: null, med_list_codg: 'X', pric_e4: amount * 100, cnt_e4: 10_000, amount, hosp_appr_flag: null,
    body: '{}', msgid: `L-${sn}`, at: '2026-11-20 10:00:00', ...split({ inscp_scp_amt: amount }), ...over,
  };
}

let serial = 0;
function stayRecord(mdtrtId: string, over: Partial<SettlementRecord>): SettlementRecord {
  serial += 1;
  return {
    setl_id: `IS${process.pid}-${serial}`, kind: 'settle', init_setl_id: null, mdtrt_id: mdtrtId, psn_no: MA, insutype: '310', psn_type: '11',
    clr_type: '21', clr_optins: '440300', fixmedins_code: HOSP, med_type: '21', setl_time: '2026-11-20 10:00:00', setl_date: '2026-11-20', year: YEAR,
    medfee_sumamt: 0, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 0, inscp_scp_amt: 0, act_pay_dedc: 0, hifp_pay: 0, fund_pay_sumamt: 0,
    psn_part_amt: 0, acct_pay: 0, acct_mulaid_pay: 0, psn_cash_pay: 0, balc: 0, mdtrt_cert_type: '02', pool_prop_selfpay: 0, msgid: `IG${process.pid}-${serial}`,
    ...over,
  };
}

const admit = (mdtrtId: string, psnNo = MA) => ({
  mdtrt_id: mdtrtId, fixmedins_code: HOSP, psn_no: psnNo, insutype: '310', med_type: '21', cert_type: '02', cert_no: 'X', holder_psn_no: null,
  ipt_otp_no: 'ZY1', begntime: '2026-11-18 09:00:00', msgid: `A-${mdtrtId}`, at: '2026-11-18 09:00:00', inpatient: 1 as const, state: 'ADMITTED' as const, ipt_no: 'ZY1', body: '{}',
});

export function stayContract(h: EngineHarness): void {
  describe('hospital stays', () => {
    it('load every counter of ytd, the chronic ones and the world\'s filings', async () => {
      const f = await loaded(h);
      try {
        await f.store.transaction(async (tx) => {
          expect(await tx.yearCounters(MA, '310', YEAR)).toEqual({ dedc_used: 0, fund_used: 0, ipt_cnt: 1, ipt_fund_used: 29_000_000, major_base: 5_230_000, major_fund_used: 1_784_000, cvlserv_used: 0, maf_used: 0 });
          expect(await tx.yearCounters(MA, '390', YEAR)).toEqual({ dedc_used: 0, fund_used: 0, ipt_cnt: 0, ipt_fund_used: 0, major_base: 0, major_fund_used: 0, cvlserv_used: 0, maf_used: 0 });
          expect(await tx.chronicCounters(CAO, '390', YEAR, 'M03900')).toEqual({ dedc_used: 5000, fund_used: 290_000 });
          expect(await tx.chronicCounters(CAO, '390', YEAR, 'E11900')).toEqual({ dedc_used: 0, fund_used: 0 });
          const filings = await tx.filings(CAO);
          expect(filings).toEqual([{ trt_dcla_detl_sn: 'MT440300000024', psn_no: CAO, insutype: '390', opsp_dise_code: 'M03900', opsp_dise_name: '高血压', begndate: '2026-01-01', enddate: '2026-12-31', cancelled: 0 }]);
          await tx.insertFiling({ trt_dcla_detl_sn: 'F9', psn_no: CAO, insutype: '390', opsp_dise_code: 'E11900', opsp_dise_name: null, begndate: '2026-11-01', enddate: null, msgid: 'm1', at: 'now' });
          await tx.cancelFiling('MT440300000024', 'm2', 'now');
          expect((await tx.filings(CAO)).map((x) => [x.trt_dcla_detl_sn, x.cancelled])).toEqual([['MT440300000024', 1], ['F9', 0]]);
          expect((await tx.filing('F9'))?.opsp_dise_code).toBe('E11900');
          expect(await tx.filing('nope')).toBeUndefined();
        });
      } finally {
        await f.store.close();
      }
    });

    it('keep a visit\'s state, bump its rev on every change, and find the open admission', async () => {
      const f = await loaded(h);
      try {
        await f.store.transaction(async (tx) => {
          await tx.insertVisit(admit('MV1'));
          const v = (await tx.visit('MV1'))!;
          expect([v.inpatient, v.state, v.ipt_no, v.rev, v.lines_ever, v.endtime]).toEqual([1, 'ADMITTED', 'ZY1', 0, 0, null]);
          expect((await tx.openAdmissions(HOSP, MA)).map((x) => x.mdtrt_id)).toEqual(['MV1']);
          expect(await tx.updateVisit('MV1', { state: 'DISCHARGED', endtime: '2026-11-20 08:00:00' })).toBe(1);
          expect(await tx.updateVisit('MV1', { lines_added: 3 })).toBe(2);
          const after = (await tx.visit('MV1'))!;
          expect([after.state, after.endtime, after.lines_ever, after.rev]).toEqual(['DISCHARGED', '2026-11-20 08:00:00', 3, 2]);
          expect(await tx.updateVisit('MV1', { endtime: null, state: 'SETTLED' })).toBe(3);
          expect((await tx.visit('MV1'))!.endtime).toBeNull();
          expect(await tx.openAdmissions(HOSP, MA)).toEqual([]);
          await tx.insertVisit({ ...admit('MV2'), at: '2026-11-19 09:00:00' });
          expect((await tx.visitsOf(HOSP, MA)).map((x) => [x.mdtrt_id, x.state])).toEqual([['MV1', 'SETTLED'], ['MV2', 'ADMITTED']]);
        });
        // the database itself keeps one open admission per person and institution
        await expect(f.store.transaction(async (tx) => tx.insertVisit(admit('MV3')))).rejects.toThrow();
        await f.store.transaction(async (tx) => expect(await tx.visit('MV3')).toBeUndefined());
      } finally {
        await f.store.close();
      }
    });

    it('keep stored splits and refund lines, sum the live unsettled ones, and settle them in one statement', async () => {
      const f = await loaded(h);
      try {
        await f.store.transaction(async (tx) => {
          await tx.insertVisit(admit('MV1'));
          await tx.insertStayLines([
            line('MV1', '1', 50_000),
            line('MV1', '2', 30_000, { preselfpay_amt: 3000, inscp_scp_amt: 27_000, cnt_e4: 30_000, pric_e4: 10_000_000 }),
            line('MV1', '3', -10_000, { init_feedetl_sn: '2', cnt_e4: -10_000, pric_e4: 10_000_000, preselfpay_amt: -1000, inscp_scp_amt: -9000 }),
            line('MV1', '4', 7000, { fulamt_ownpay_amt: 7000, inscp_scp_amt: 0 }),
          ]);
          const stored = await tx.stayLines('MV1');
          expect(stored.map((l) => l.feedetl_sn)).toEqual(['1', '2', '3', '4']); // in order, ids ascending
          const ids = stored.map((l) => l.id);
          expect(ids).toEqual([...ids].sort((a, b) => a - b));
          await tx.withdrawFeeLine(ids[3]!, 'w', 'now');
          const two = await tx.stayLinesBySn('MV1', ['2', '3', '4', 'none']);
          expect(two.map((l) => [l.feedetl_sn, l.live, l.setl_id, l.refunded_cnt_e4, l.live_refunds, l.init_feedetl_sn, l.inscp_scp_amt])).toEqual([
            ['2', 1, null, 10_000, 1, null, 27_000],
            ['3', 1, null, 0, 0, '2', -9000],
            ['4', 0, null, 0, 0, null, 0],
          ]);
          expect(await tx.stayLineSums('MV1')).toEqual({ live: 3, lines: 3, amount: 70_000, fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: 2000, inscp_scp_amt: 68_000 });
          const rec = stayRecord('MV1', { mid_setl_flag: '1', medfee_sumamt: 70_000, inscp_scp_amt: 68_000, preselfpay_amt: 2000, psn_part_amt: 70_000, psn_cash_pay: 70_000 });
          await tx.appendSettlement(rec, [], { unsettledOf: 'MV1' }, [{ fund_pay_type: '310100', fund_pay_type_name: 'pool', field: 'hifp_pay', inscp_scp_amt: 68_000, fund_payamt: 0, cap_left_after: 5 }]);
          expect(await tx.stayLineSums('MV1')).toEqual({ live: 3, lines: 0, amount: 0, fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0 });
          expect((await tx.stayLines('MV1')).map((l) => [l.feedetl_sn, l.setl_id])).toEqual([['1', rec.setl_id], ['2', rec.setl_id], ['3', rec.setl_id]]);
          expect((await tx.stayLines('MV1', { setlId: rec.setl_id })).length).toBe(3);
          expect(await tx.settlementFunds(rec.setl_id)).toEqual([{ fund_pay_type: '310100', fund_pay_type_name: 'pool', field: 'hifp_pay', inscp_scp_amt: 68_000, fund_payamt: 0, cap_left_after: 5 }]);
          expect((await tx.visitSettlements('MV1')).map((s) => [s.setl_id, s.in_force, s.mid_setl_flag])).toEqual([[rec.setl_id, 1, '1']]);
          await tx.insertStayLines([line('MV1', '5', 100)]);
          expect(await tx.withdrawUnsettled('MV1', 'w2', 'now')).toBe(1);
          expect((await tx.stayLineSums('MV1')).lines).toBe(0);
        });
        expect(await f.store.verifyChain()).toMatchObject({ ok: true, records: 1 });
      } finally {
        await f.store.close();
      }
    });

    it('move every counter by a record\'s deltas, and back by its reversing record', async () => {
      const f = await loaded(h);
      try {
        const before = await f.store.transaction(async (tx) => [await tx.yearCounters(MA, '310', YEAR), await tx.chronicCounters(CAO, '390', YEAR, 'M03900')] as const);
        const deltas = { d_ipt_cnt: 1, d_ipt_fund_used: 100, d_major_base: 200, d_major_fund_used: 300, d_cvlserv_used: 400, d_maf_used: 500, d_dedc_used: 0, d_fund_used: 0 };
        const rec = stayRecord('MX', { ...deltas, act_pay_dedc: 50, hifp_pay: 100, hifob_pay: 300, cvlserv_pay: 400, maf_pay: 500, dedc_standard: 70_000, mid_setl_flag: '0', medfee_sumamt: 1300, fund_pay_sumamt: 1300 });
        const chr = stayRecord('MY', { psn_no: CAO, insutype: '390', clr_type: '11', med_type: '14', chr_dise_code: 'M03900', d_chr_dedc_used: 10, d_chr_fund_used: 20, d_dedc_used: 0, d_fund_used: 0, act_pay_dedc: 10, hifp_pay: 20, fund_pay_sumamt: 20, medfee_sumamt: 20 });
        await f.store.transaction(async (tx) => {
          await tx.appendSettlement(rec, [], []);
          await tx.appendSettlement(chr, [], []);
          const c = await tx.yearCounters(MA, '310', YEAR);
          expect(c).toEqual({ ...before[0], ipt_cnt: 2, ipt_fund_used: before[0].ipt_fund_used + 100, major_base: before[0].major_base + 200, major_fund_used: before[0].major_fund_used + 300, cvlserv_used: 400, maf_used: 500 });
          expect(await tx.chronicCounters(CAO, '390', YEAR, 'M03900')).toEqual({ dedc_used: before[1].dedc_used + 10, fund_used: before[1].fund_used + 20 });
          expect((await tx.yearCounters(CAO, '390', YEAR)).dedc_used).toBe(0); // a chronic settlement leaves the outpatient counters
          const stored = (await tx.settlement(rec.setl_id))!;
          expect([stored.hifob_pay, stored.cvlserv_pay, stored.maf_pay, stored.dedc_standard, stored.d_ipt_cnt, stored.visit_rev]).toEqual([300, 400, 500, 70_000, 1, null]);
          const undo = (r: SettlementRecord, id: string) => {
            const neg = Object.fromEntries(Object.entries(r).filter(([k, v]) => typeof v === 'number' && (k.startsWith('d_') || k.endsWith('_pay') || k.endsWith('_amt') || k === 'medfee_sumamt' || k === 'fund_pay_sumamt' || k === 'act_pay_dedc' || k === 'overlmt_selfpay' || k === 'psn_part_amt')).map(([k, v]) => [k, -(v as number)]));
            return { ...r, ...neg, setl_id: id, kind: 'cancel' as const, init_setl_id: r.setl_id, msgid: `${id}-m` };
          };
          await tx.appendSettlement(undo((await tx.settlement(rec.setl_id))!, `${rec.setl_id}C`), [], []);
          await tx.appendSettlement(undo((await tx.settlement(chr.setl_id))!, `${chr.setl_id}C`), [], []);
          expect(await tx.yearCounters(MA, '310', YEAR)).toEqual(before[0]);
          expect(await tx.chronicCounters(CAO, '390', YEAR, 'M03900')).toEqual(before[1]);
          expect((await tx.visitSettlements('MX')).map((s) => s.in_force)).toEqual([0]);
        });
        // a counter never goes below zero: the database refuses, nothing written
        await expect(f.store.transaction(async (tx) => tx.appendSettlement(stayRecord('MZ', { d_cvlserv_used: -1 }), [], []))).rejects.toThrow();
        expect(await f.store.transaction(async (tx) => tx.yearCounters(MA, '310', YEAR))).toEqual(before[0]);
        expect(await f.store.verifyChain()).toMatchObject({ ok: true, records: 4 });
      } finally {
        await f.store.close();
      }
    });
  });
}
