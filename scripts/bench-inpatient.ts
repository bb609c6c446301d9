/**
 * (i) long stays: 2301 upload throughput (1 000 lines a call, durable SQLite file) against 2204's,
 * and 2304 latency for a stay of 100, 1 000 and 10 000 live lines. 2304 reads the sums of the stored
 * splits (one query) and covers the lines with one INSERT ... SELECT, so its cost per line stays
 * flat: `ipt_settle_10k_vs_1k` (10 000 lines over 1 000) must be at most 12.
 */
import { join } from 'node:path';
import { createPlatform } from '../src/app.ts';
import { FixedClock } from '../src/core/clock.ts';
import { parseWorld, readWorldFiles } from '../src/core/world.ts';
import { SqliteLedger } from '../src/ledger/sqlite.ts';
import { newPlatformKey } from '../src/platform/ecert.ts';

const NOW = '2026-11-20T10:00:00+08:00';
const HOSP = 'H44030000002';
const XIE = { psn_no: '44030000000000000023', mdtrt_cert_type: '02', mdtrt_cert_no: '440306198505201178' };
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function fresh(path: string) {
  const ledger = new SqliteLedger(path);
  const raw = readWorldFiles('fixtures/worlds/example-i');
  await ledger.loadWorld(raw, parseWorld(raw), 2026, newPlatformKey());
  const platform = createPlatform(ledger, new FixedClock(NOW));
  let n = 0;
  const call = async (infno: string, input: Record<string, unknown>) => {
    n += 1;
    const r = (await platform.call({ infno, msgid: `BI${n}`, fixmedins_code: HOSP, insuplc_admdvs: '440300', input })) as unknown as { infcode: number; err_msg: string; output: any };
    if (r.infcode !== 0) throw new Error(`bench ${infno} refused: ${r.err_msg}`);
    return r.output;
  };
  return { ledger, call };
}

/** `count` lines of one visit, feedetl_sn from `from`; a 甲 bed day and a 乙 drug, so that every split is made. */
function lines(mdtrtId: string, from: number, count: number) {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const [code, pric] = i % 2 ? ['110200001000000', 50] : ['002101030010000', 2.5];
    return { feedetl_sn: `L${i}`, mdtrt_id: mdtrtId, psn_no: XIE.psn_no, med_list_codg: code, pric, cnt: 1, det_item_fee_sumamt: pric };
  });
}

async function admit(call: Awaited<ReturnType<typeof fresh>>['call']): Promise<string> {
  const { result } = await call('2401', { mdtrtinfo: { ...XIE, insutype: '310', begntime: '2026-11-01 09:00:00', med_type: '21', ipt_no: 'ZY1' } });
  return result.mdtrt_id as string;
}

/** Lines per second of `calls` uploads of 1 000 lines, 2301 into a stay and 2204 into an outpatient visit, interleaved. */
async function uploadRates(dir: string, calls: number) {
  const ipt = await fresh(join(dir, 'ipt-upload.db'));
  const opt = await fresh(join(dir, 'opt-upload.db'));
  const stay = await admit(ipt.call);
  const { data } = await opt.call('2201', { data: { ...XIE, insutype: '310', begntime: '2026-11-20 09:00:00', ipt_otp_no: 'MZ1' } });
  let tIpt = 0;
  let tOpt = 0;
  for (let c = -1; c < calls; c++) {
    // the first call of each warms the JIT and is not timed
    const a = lines(stay, (c + 1) * 1000, 1000);
    const b = lines(data.mdtrt_id, (c + 1) * 1000, 1000).map((l) => ({ ...l, chrg_bchno: 'B1' }));
    let t = now();
    await ipt.call('2301', { feedetail: a });
    if (c >= 0) tIpt += now() - t;
    t = now();
    await opt.call('2204', { feedetail: b });
    if (c >= 0) tOpt += now() - t;
  }
  await ipt.ledger.close();
  await opt.ledger.close();
  const ipt_lines_per_s = (calls * 1000 * 1000) / tIpt;
  const opt_lines_per_s = (calls * 1000 * 1000) / tOpt;
  return { ipt_2301_lines_per_s: ipt_lines_per_s, opt_2204_lines_per_s: opt_lines_per_s, ipt_2301_vs_2204: ipt_lines_per_s / opt_lines_per_s, calls };
}

/** A discharged stay of `size` live lines, in a ledger of its own, and one timed 2304 of it (cancelled again by 2305, not timed). */
async function stayOf(dir: string, size: number) {
  const s = await fresh(join(dir, `ipt-settle-${size}.db`));
  const stay = await admit(s.call);
  for (let from = 0; from < size; from += 1000) await s.call('2301', { feedetail: lines(stay, from, Math.min(1000, size - from)) });
  await s.call('2402', { dscginfo: { mdtrt_id: stay, psn_no: XIE.psn_no, endtime: '2026-11-19 10:00:00' } });
  const total = lines(stay, 0, size).reduce((sum, l) => sum + Math.round(l.det_item_fee_sumamt * 100), 0) / 100;
  const data = { ...XIE, medfee_sumamt: total, mdtrt_id: stay, insutype: '310', acct_used_flag: '1', mid_setl_flag: '0' };
  return {
    ledger: s.ledger,
    async settleMs(): Promise<number> {
      const t = now();
      const out = await s.call('2304', { data });
      const ms = now() - t;
      await s.call('2305', { data: { mdtrt_id: stay, setl_id: out.setlinfo.setl_id, psn_no: XIE.psn_no } });
      return ms;
    },
  };
}

/**
 * Median 2304 latency (ms) for stays of 100, 1 000 and 10 000 live lines, settled in turn round after
 * round, so that every size meets the same machine (a neighbour's load drifts over seconds); the
 * first round warms the JIT and is not timed.
 */
async function settleLatencies(dir: string, repeats: number) {
  const sizes = [100, 1000, 10_000] as const;
  const stays = [];
  for (const size of sizes) stays.push(await stayOf(dir, size));
  const times: number[][] = sizes.map(() => []);
  for (let k = 0; k <= repeats; k++) {
    for (const [i, stay] of stays.entries()) {
      const ms = await stay.settleMs();
      if (k > 0) times[i]!.push(ms);
    }
  }
  for (const stay of stays) await stay.ledger.close();
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  return { lines_100: median(times[0]!), lines_1k: median(times[1]!), lines_10k: median(times[2]!) };
}

export async function inpatientFigures(dir: string, quick: boolean) {
  const upload = await uploadRates(dir, quick ? 3 : 10);
  const ms = await settleLatencies(dir, quick ? 3 : 7);
  return { ...upload, settle_ms: ms, ipt_settle_10k_vs_1k: ms.lines_10k / ms.lines_1k };
}
