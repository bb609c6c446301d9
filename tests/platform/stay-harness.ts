/**
 * Random hospital stays played through the platform (2401, 2301 with refunds, mid-stay and final
 * 2303/2304, 2402, then 2305 in reverse order), checking inpatient.md's invariants on every
 * settlement: total = funds + account + cash, the funds' sum, trial = settlement, every counter
 * within its bound, and settle then cancel restoring every balance and counter. Engine-neutral: the
 * SQLite property test and the PostgreSQL run both use it.
 */
import { expect } from 'vitest';
import { FixedClock } from '../../src/core/clock.ts';
import { counterBounds, YEAR_COUNTERS, type YearCounters } from '../../src/core/counters.ts';
import { parseWorld, readWorldFiles } from '../../src/core/world.ts';
import { createPlatform } from '../../src/app.ts';
import type { LedgerStore } from '../../src/ledger/types.ts';
import { newPlatformKey } from '../../src/platform/ecert.ts';
import { envelope } from '../helpers.ts';

export const EXAMPLE_I = 'fixtures/worlds/example-i';
const NOW = '2026-11-20T10:00:00+08:00';

/** The stay patients of example-i, where they are treated. */
export const PATIENTS = [
  { psn_no: '44030000000000000020', certno: '440303197103152154', insutype: '310', hosp: 'H44030000001' },
  { psn_no: '44030000000000000021', certno: '440304196008083316', insutype: '310', hosp: 'H44030000002' },
  { psn_no: '44030000000000000022', certno: '440305196612024423', insutype: '390', hosp: 'H44030000001' },
  { psn_no: '44030000000000000023', certno: '440306198505201178', insutype: '310', hosp: 'H44030000002' },
] as const;

/** 甲, 乙 (one capped), 丙 items of example-i's catalog. */
export const CODES = ['XC08CAN010A001', '331000000010000', 'XL01EAI010A001', 'C0310010010001', '110900001000000', '110200001000000', '002101030010000', '002503010010000'] as const;

export interface StayPlan {
  patient: number;
  /** Batches of lines (price in fen, count), each optionally followed by a mid-stay settlement. */
  batches: { lines: { code: number; pricFen: number; cnt: number; refund: boolean }[]; mid: boolean }[];
  acct: boolean;
}

const fen = (yuan: number) => Math.round(yuan * 100);

export async function loadExampleI(ledger: LedgerStore): Promise<void> {
  const raw = readWorldFiles(EXAMPLE_I);
  await ledger.loadWorld(raw, parseWorld(raw), 2026, newPlatformKey());
}

/** Plays one stay on a ledger holding example-i; returns the number of settlements made. */
export async function playStay(ledger: LedgerStore, plan: StayPlan): Promise<number> {
  const platform = createPlatform(ledger, new FixedClock(NOW));
  const p = PATIENTS[plan.patient]!;
  const world = ledger.world();
  const call = async (infno: string, input: Record<string, unknown>) => {
    const r = (await platform.call(envelope(infno, p.hosp, input))) as unknown as { infcode: number; err_msg: string | null; output: any };
    expect(r.infcode, `${infno}: ${r.err_msg}`).toBe(0);
    return r.output;
  };
  const snapshot = async () =>
    ledger.transaction(async (tx) => ({ balc: await tx.balance(p.psn_no), counters: await tx.yearCounters(p.psn_no, p.insutype, 2026) }));
  const before = await snapshot();
  const cert = { mdtrt_cert_type: '02', mdtrt_cert_no: p.certno };
  const { result } = await call('2401', { mdtrtinfo: { psn_no: p.psn_no, insutype: p.insutype, begntime: '2026-11-10 09:00:00', ...cert, med_type: '21', ipt_no: 'ZY1' } });
  const mdtrt_id = result.mdtrt_id as string;
  let unsettled = 0;
  let sn = 0;
  const originals: { sn: string; code: string; pric: number; left: number }[] = [];
  const settlements: string[] = [];
  const settle = async (mid: boolean) => {
    const data = { psn_no: p.psn_no, ...cert, medfee_sumamt: unsettled / 100, mdtrt_id, insutype: p.insutype, acct_used_flag: plan.acct ? '1' : '0', mid_setl_flag: mid ? '1' : '0' };
    const trial = await call('2303', { data });
    const done = await call('2304', { data });
    // medins_setl_id is the request's own msgid
    const { setl_id: _a, medins_setl_id: _b, ...t } = trial.setlinfo;
    const { setl_id, medins_setl_id: _c, ...s } = done.setlinfo;
    expect(s).toEqual(t); // trial = settlement
    expect(done.setldetail).toEqual(trial.setldetail);
    const i = s as Record<string, number>;
    expect(fen(i.medfee_sumamt!)).toBe(fen(i.fund_pay_sumamt!) + fen(i.acct_pay!) + fen(i.psn_cash_pay!));
    expect(fen(i.fund_pay_sumamt!)).toBe(fen(i.hifp_pay!) + fen(i.hifob_pay!) + fen(i.hifmi_pay!) + fen(i.cvlserv_pay!) + fen(i.maf_pay!));
    expect(fen(i.psn_part_amt!)).toBeGreaterThanOrEqual(Math.min(fen(i.medfee_sumamt!), fen(i.fulamt_ownpay_amt!) + fen(i.overlmt_selfpay!) + fen(i.preselfpay_amt!)));
    for (const k of ['hifp_pay', 'hifob_pay', 'hifmi_pay', 'cvlserv_pay', 'maf_pay', 'acct_pay', 'psn_cash_pay', 'act_pay_dedc']) expect(i[k], k).toBeGreaterThanOrEqual(0);
    expect(done.setldetail.map((d: { fund_payamt: number }) => fen(d.fund_payamt)).reduce((a: number, b: number) => a + b, 0)).toBe(fen(i.fund_pay_sumamt!));
    settlements.push(setl_id as string);
    unsettled = 0;
    await checkBounds();
  };
  const checkBounds = async () => {
    const now = await snapshot();
    const bounds = counterBounds(world, { insutype: p.insutype, chronic: null, maf_psn_idet_type: world.inpatientPolicy(p.insutype)?.maf?.[1]?.psn_idet_type ?? null }).counters;
    for (const name of YEAR_COUNTERS) {
      expect(now.counters[name], name).toBeGreaterThanOrEqual(0);
      const bound = bounds[name];
      // a world's opening counters may already stand above a bound; a settlement never takes one past it
      if (bound !== undefined) expect(now.counters[name], name).toBeLessThanOrEqual(Math.max(bound, before.counters[name]));
    }
    expect(now.balc).toBeGreaterThanOrEqual(0);
  };

  for (const batch of plan.batches) {
    const feedetail = [];
    for (const l of batch.lines) {
      const open = originals.find((o) => o.left > 0);
      if (l.refund && open) {
        sn += 1;
        open.left -= 1;
        feedetail.push({ feedetl_sn: String(sn), init_feedetl_sn: open.sn, mdtrt_id, psn_no: p.psn_no, med_list_codg: open.code, pric: open.pric / 100, cnt: -1, det_item_fee_sumamt: -open.pric / 100 });
        unsettled -= open.pric;
      } else {
        sn += 1;
        const code = CODES[l.code % CODES.length]!;
        originals.push({ sn: String(sn), code, pric: l.pricFen, left: l.cnt });
        feedetail.push({ feedetl_sn: String(sn), mdtrt_id, psn_no: p.psn_no, med_list_codg: code, pric: l.pricFen / 100, cnt: l.cnt, det_item_fee_sumamt: (l.pricFen * l.cnt) / 100 });
        unsettled += l.pricFen * l.cnt;
      }
    }
    await call('2301', { feedetail });
    if (batch.mid) {
      await settle(true);
      for (const o of originals) o.left = 0; // settled lines are refunded no more
    }
  }
  if (unsettled === 0 && settlements.length === 0) {
    // nothing to settle: the stay is cancelled instead
    await call('2302', { data: { mdtrt_id, psn_no: p.psn_no, feedetl_sn: '0000' } });
    await call('2404', { data: { mdtrt_id, psn_no: p.psn_no } });
  } else {
    await call('2402', { dscginfo: { mdtrt_id, psn_no: p.psn_no, endtime: '2026-11-19 10:00:00' } });
    await settle(false);
    for (const setl_id of [...settlements].reverse()) await call('2305', { data: { mdtrt_id, setl_id, psn_no: p.psn_no } });
  }
  const after = await snapshot();
  expect(after.balc).toBe(before.balc);
  expect(after.counters).toEqual(before.counters as YearCounters);
  return settlements.length;
}
