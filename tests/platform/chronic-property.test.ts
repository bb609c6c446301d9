/**
 * Properties of med_type 14 under a chronic policy over random bills (inpatient.md section 7):
 * trial = settlement, total = fund + account + cash, the disease's counters moved by what it paid and
 * within their bounds, the outpatient ones untouched, and 2208 of them all restoring every balance and counter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelope, freshPlatform } from '../helpers.ts';

const HAN = { psn_no: '44030000000000000026', certno: '440304195504183848' }; // example-i, 310 retired, filing of M03900
const HOSPITALS = ['H44030000001', 'H44030000002', 'H44030000003'];
const ITEMS = ['XC08CAN010A001', 'XC10AAA050A001', '002503010010000', '110900001000000', 'C0310010010001', 'XJ01DHM010B001'];
/** M03900's rule in example-i: deductible 200.00, cap 4000.00. */
const BOUND = { chr_dedc_used: 200, chr_fund_used: 4000 };

type Platform = Awaited<ReturnType<typeof freshPlatform>>['platform'];

async function ok(platform: Platform, infno: string, inst: string, input: Record<string, unknown>) {
  const r = (await platform.call(envelope(infno, inst, input))) as { err_msg: string | null; output: any };
  expect(r.err_msg, infno).toBeNull();
  return r.output;
}

async function state(platform: Platform, inst: string) {
  const cum = (await ok(platform, '5206', inst, { data: { psn_no: HAN.psn_no } })).cuminfo as { cum_type_code: string; cum: number }[];
  const balc = (await ok(platform, '1101', inst, { data: { mdtrt_cert_type: '02', mdtrt_cert_no: HAN.certno } })).insuinfo[0].balc as number;
  return { balc, ...Object.fromEntries(cum.map((r) => [r.cum_type_code, r.cum])) } as Record<'balc' | 'dedc_used' | 'fund_used' | 'chr_dedc_used' | 'chr_fund_used', number>;
}

const bill = fc.array(fc.record({ code: fc.constantFrom(...ITEMS), pric: fc.integer({ min: 1, max: 600_00 }), cnt: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 4 });

describe('med_type 14 under a chronic policy, over random bills', () => {
  it('settles as it pre-settles, adds up, keeps the disease within its bounds, and cancelling them all restores everything', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...HOSPITALS), fc.array(bill, { minLength: 1, maxLength: 3 }), fc.constantFrom('0', '1'), async (inst, bills, acct) => {
        const { platform } = await freshPlatform('fixtures/worlds/example-i');
        const start = await state(platform, inst);
        const settled: { setl_id: string; mdtrt_id: string }[] = [];
        for (const lines of bills) {
          const before = await state(platform, inst);
          const reg = await ok(platform, '2201', inst, { data: { psn_no: HAN.psn_no, insutype: '310', mdtrt_cert_type: '02', mdtrt_cert_no: HAN.certno, ipt_otp_no: 'MZP' } });
          const mdtrt_id = reg.data.mdtrt_id as string;
          await ok(platform, '2203', inst, { mdtrtinfo: { mdtrt_id, psn_no: HAN.psn_no, med_type: '14', dise_codg: 'M03900' } });
          const feedetail = lines.map((l, i) => ({ feedetl_sn: String(i + 1), mdtrt_id, psn_no: HAN.psn_no, med_list_codg: l.code, pric: l.pric / 100, cnt: l.cnt, det_item_fee_sumamt: (l.pric * l.cnt) / 100 }));
          await ok(platform, '2204', inst, { feedetail });
          const total = lines.reduce((s, l) => s + l.pric * l.cnt, 0) / 100;
          const data = { psn_no: HAN.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: HAN.certno, med_type: '14', medfee_sumamt: total, mdtrt_id, acct_used_flag: acct, insutype: '310' };
          const trial = (await ok(platform, '2206', inst, { data })).setlinfo;
          const done = (await ok(platform, '2207', inst, { data })).setlinfo;
          expect({ ...trial, setl_id: null, medins_setl_id: null }).toEqual({ ...done, setl_id: null, medins_setl_id: null });
          expect(Math.round(done.medfee_sumamt * 100)).toBe(Math.round((done.fund_pay_sumamt + done.acct_pay + done.psn_cash_pay) * 100));
          const after = await state(platform, inst);
          expect(after.chr_dedc_used).toBeLessThanOrEqual(BOUND.chr_dedc_used);
          expect(after.chr_fund_used).toBeLessThanOrEqual(BOUND.chr_fund_used);
          expect(Math.round((after.chr_dedc_used - before.chr_dedc_used) * 100)).toBe(Math.round(done.act_pay_dedc * 100));
          expect(Math.round((after.chr_fund_used - before.chr_fund_used) * 100)).toBe(Math.round(done.hifp_pay * 100));
          expect([after.dedc_used, after.fund_used]).toEqual([before.dedc_used, before.fund_used]);
          settled.push({ setl_id: done.setl_id, mdtrt_id });
        }
        for (const s of settled.reverse()) await ok(platform, '2208', inst, { data: { ...s, psn_no: HAN.psn_no } });
        expect(await state(platform, inst)).toEqual(start);
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
