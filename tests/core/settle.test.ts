import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeSplit, Refusal, splitLine, type AccountState, type FeeLine, type LineSplit, type Payer } from '../../src/core/settle.ts';
import type { WorldIndex } from '../../src/core/world.ts';
import { WORLDS, worldIndex } from '../helpers.ts';

const H = worldIndex(WORLDS.h);
const P = worldIndex(WORLDS.p);
const DEMO = worldIndex(WORLDS.demo);
const DATE = '2026-11-20';

function line(sn: string, code: string, pric: number, cnt: number, hosp_appr_flag?: string): FeeLine {
  const pricE4 = Math.round(pric * 10_000);
  const cntE4 = Math.round(cnt * 10_000);
  return { feedetl_sn: sn, med_list_codg: code, pricE4, cntE4, amount: Math.round(pric * cnt * 100), hosp_appr_flag };
}

function split(world: WorldIndex, lines: FeeLine[]) {
  return lines.map((l) => splitLine(l, world.catalog.get(l.med_list_codg), DATE));
}

function settle(world: WorldIndex, o: { psn: string; inst: string; lines: LineSplit[]; insutype?: string; med_type?: string; acctUsed?: boolean; payer?: Payer; state?: Partial<AccountState> }) {
  const patient = world.persons.get(o.psn)!;
  const medfee = o.lines.reduce((s, l) => s + l.amount, 0);
  return computeSplit(
    world,
    {
      institution: world.institutions.get(o.inst)!,
      patient,
      insutype: o.insutype ?? '310',
      med_type: o.med_type ?? (world.institutions.get(o.inst)!.fixmedins_type === 'pharmacy' ? '41' : '11'),
      lines: o.lines,
      medfee_sumamt: medfee,
      acctUsed: o.acctUsed ?? true,
      payer: o.payer ?? { kind: 'own' },
    },
    { balances: new Map(), dedcUsed: 0, fundUsed: 0, ...o.state },
  );
}

const H_LINES = [
  line('1', 'XC08CAN010A001', 45, 2),
  line('2', 'XC10AAA050A001', 120, 1),
  line('3', 'C1402060580001', 80, 1),
  line('4', 'NOTLISTED0001', 50, 1),
  line('5', '002101020010000', 60, 1),
];
const H_STATE = (psn: string) => ({ balances: new Map([[psn, 18000]]), dedcUsed: 90000, fundUsed: 120000 });

describe('worked example H (settlement.md section 8)', () => {
  it('splits every line as the table says', () => {
    const lines = split(H, H_LINES);
    expect(lines.map((l) => [l.amount, l.fulamt_ownpay_amt, l.overlmt_amt, l.preselfpay_amt, l.inscp_scp_amt])).toEqual([
      [9000, 0, 0, 0, 9000],
      [12000, 0, 0, 1200, 10800],
      [8000, 0, 2000, 1200, 4800],
      [5000, 5000, 0, 0, 0],
      [6000, 0, 0, 0, 6000],
    ]);
    expect(lines[3]!.chrgitm_lv).toBe('03');
  });

  it('settles the in-service employee to the fen', () => {
    const s = settle(H, { psn: '44030000000000000001', inst: 'H44030000001', lines: split(H, H_LINES), state: H_STATE('44030000000000000001') });
    expect(s).toMatchObject({
      medfee_sumamt: 40000, fulamt_ownpay_amt: 5000, overlmt_selfpay: 2000, preselfpay_amt: 2400, inscp_scp_amt: 30600,
      act_pay_dedc: 10000, hifp_pay: 10300, pool_prop_selfpay: 5000, fund_pay_sumamt: 10300, psn_part_amt: 29700,
      acct_pay: 18000, acct_mulaid_pay: 0, psn_cash_pay: 11700, balc: 0,
    });
  });

  it('settles the retired employee to the fen', () => {
    const s = settle(H, { psn: '44030000000000000002', inst: 'H44030000001', lines: split(H, H_LINES), state: H_STATE('44030000000000000002') });
    expect(s).toMatchObject({ hifp_pay: 14420, psn_part_amt: 25580, acct_pay: 18000, psn_cash_pay: 7580, balc: 0 });
  });
});

describe('worked example P', () => {
  it('pays 甲 and 乙 from the account, 丙 in cash, no pooling at a pharmacy', () => {
    const items = P.data.catalog;
    const byLv = (lv: string) => items.find((i) => i.chrgitm_lv === lv)!;
    const jia = byLv('01');
    const yi = byLv('02');
    const bing = byLv('03');
    const lines = split(P, [line('1', jia.hilist_code, 36.5, 1), line('2', yi.hilist_code, 30, 1), line('3', bing.hilist_code, 20, 1)].map((l, i) => {
      // Prices in the fixture may be per unit: keep the line totals of the example.
      const totals = [3650, 3000, 2000][i]!;
      return { ...l, pricE4: totals * 100, cntE4: 10_000, amount: totals };
    }));
    const psn = P.data.persons[0]!.baseinfo.psn_no;
    const s = settle(P, { psn, inst: P.data.world.institutions[0]!.fixmedins_code, lines, state: { balances: new Map([[psn, 50000]]) } });
    expect(s).toMatchObject({ medfee_sumamt: 8650, fulamt_ownpay_amt: 2000, inscp_scp_amt: 6350, preselfpay_amt: 300, hifp_pay: 0, psn_part_amt: 8650, acct_pay: 6650, balc: 43350, psn_cash_pay: 2000 });
  });
});

describe('counters and balances at their bounds', () => {
  const inst = 'H44030000001';
  const psn = '44030000000000000001';

  it('crosses the deductible inside one bill', () => {
    const s = settle(H, { psn, inst, lines: split(H, [line('1', 'XC08CAN010A001', 45, 4)]), state: { balances: new Map(), dedcUsed: 99000, fundUsed: 0 } });
    expect(s.act_pay_dedc).toBe(1000); // 10.00 left of 1000.00
    expect(s.hifp_pay).toBe(8500); // (180 - 10) x 0.5
  });

  it('reaches the cap inside one bill', () => {
    const s = settle(H, { psn, inst, lines: split(H, [line('1', 'XC08CAN010A001', 45, 4)]), state: { balances: new Map(), dedcUsed: 100000, fundUsed: 399000 } });
    expect(s.hifp_pay).toBe(1000); // only 10.00 of the cap is left
    expect(s.crt_payb_lmt_amt).toBe(0);
  });

  it('pays nothing from an empty account', () => {
    const s = settle(H, { psn, inst, lines: split(H, [line('1', 'XC08CAN010A001', 45, 1)]), state: { balances: new Map([[psn, 0]]), dedcUsed: 0 } });
    expect(s.acct_pay).toBe(0);
    expect(s.psn_cash_pay).toBe(4500);
    expect(s.balc).toBe(0);
  });

  it('does not touch the account when acct_used_flag is 0', () => {
    const s = settle(H, { psn, inst, acctUsed: false, lines: split(H, [line('1', 'XC08CAN010A001', 45, 1)]), state: { balances: new Map([[psn, 100000]]) } });
    expect(s.acct_pay).toBe(0);
    expect(s.balc).toBe(100000);
  });

  it('rounds the fund share half-up', () => {
    // base 0.21 x 0.5 = 0.105 -> 0.11
    const s = settle(H, { psn, inst, lines: [{ ...split(H, [line('1', 'XC08CAN010A001', 0.21, 1)])[0]! }], state: { balances: new Map(), dedcUsed: 100000 } });
    expect(s.hifp_pay).toBe(11);
  });
});

describe('lines', () => {
  it('makes a restricted item self-paid without approval, covered with it', () => {
    const restricted = DEMO.data.catalog.find((i) => i.lmt_used_flag === '1' && i.chrgitm_lv !== '03' && i.hilist_pric_uplmt_amt === null)!;
    const without = splitLine(line('1', restricted.hilist_code, 10, 1), restricted, DATE);
    const withAppr = splitLine(line('1', restricted.hilist_code, 10, 1, '1'), restricted, DATE);
    expect(without.fulamt_ownpay_amt).toBe(1000);
    expect(withAppr.fulamt_ownpay_amt).toBe(0);
  });

  it('makes an item outside its validity self-paid', () => {
    const expired = DEMO.data.catalog.find((i) => i.enddate !== null && i.enddate < DATE)!;
    expect(splitLine(line('1', expired.hilist_code, 10, 1), expired, DATE).fulamt_ownpay_amt).toBe(1000);
    expect(splitLine(line('1', expired.hilist_code, 10, 1), expired, expired.enddate!).fulamt_ownpay_amt).toBe(0);
  });

  it('refuses a line that is not price x count, or not positive', () => {
    const item = H.catalog.get('XC08CAN010A001');
    expect(() => splitLine({ ...line('1', 'XC08CAN010A001', 45, 2), amount: 9001 }, item, DATE)).toThrow(expect.objectContaining({ err_code: 'line_amount_mismatch' }));
    expect(() => splitLine({ ...line('1', 'XC08CAN010A001', 45, 2), cntE4: 0, amount: 0 }, item, DATE)).toThrow(expect.objectContaining({ err_code: 'line_not_positive' }));
  });
});

describe('family mutual aid', () => {
  const inst = 'H44030000001';
  const child = '44030000000000000003';
  const mother = '44030000000000000001';
  const father = '44030000000000000002';
  const bill = () => split(DEMO, [line('1', 'XC08CAN010A001', 45, 4)]);

  it('own card: donors pay in the order of persons.json, each down to zero', () => {
    const s = settle(DEMO, { psn: child, insutype: '390', inst, lines: bill(), state: { balances: new Map([[mother, 1000], [father, 100000]]) } });
    expect(s.debits).toEqual([
      { psn_no: mother, role: 'mulaid', amount: 1000 },
      { psn_no: father, role: 'mulaid', amount: s.acct_pay - 1000 },
    ]);
    expect(s.acct_mulaid_pay).toBe(s.acct_pay);
    expect(s.psn_cash_pay + s.acct_pay + s.fund_pay_sumamt).toBe(s.medfee_sumamt);
  });

  it("holder's card: only the holder pays, the patient's own account is not touched", () => {
    const grandpa = '44030000000000000004';
    const s = settle(DEMO, { psn: grandpa, inst, lines: bill(), payer: { kind: 'holder', holderPsnNo: father }, state: { balances: new Map([[grandpa, 3560], [father, 100000]]) } });
    expect(s.debits.every((d) => d.psn_no === father && d.role === 'mulaid')).toBe(true);
    expect(s.balc).toBe(3560);
  });

  it('a relation outside the policy gives nothing', () => {
    const s = settle(DEMO, { psn: '44030000000000000012', insutype: '390', inst, lines: bill(), state: { balances: new Map([['44030000000000000011', 150000]]) } });
    expect(s.acct_pay).toBe(0);
  });
});

describe('refusals', () => {
  it('names the cause', () => {
    const lines = split(DEMO, [line('1', 'XC08CAN010A001', 45, 1)]);
    const cases: [string, () => unknown][] = [
      ['med_type_not_allowed', () => settle(DEMO, { psn: '44030000000000000001', inst: 'H44030000001', med_type: '41', lines })],
      ['med_type_not_allowed', () => settle(DEMO, { psn: '44030000000000000001', inst: 'P44030000001', med_type: '11', lines })],
      ['insurance_inactive', () => settle(DEMO, { psn: '44030000000000000010', inst: 'H44030000001', lines })],
      ['insurance_inactive', () => settle(DEMO, { psn: '44030000000000000003', inst: 'H44030000001', insutype: '310', lines })],
      ['ratio_missing', () => settle(DEMO, { psn: '44030000000000000019', inst: 'H44030000001', lines })],
    ];
    for (const [code, run] of cases) {
      expect(run, code).toThrow(Refusal);
      expect(run, code).toThrow(expect.objectContaining({ err_code: code }));
    }
  });
});

describe('properties', () => {
  const codes = DEMO.data.catalog.map((i) => i.hilist_code).concat(['NOTLISTED0001']);
  const lineArb = fc.record({
    code: fc.constantFrom(...codes),
    pricFen: fc.integer({ min: 1, max: 500_000 }),
    cnt: fc.integer({ min: 1, max: 20 }),
    appr: fc.constantFrom(undefined, '0', '1'),
  });
  const settleArb = fc.record({
    lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
    psn: fc.constantFrom(...DEMO.data.persons.filter((p) => p.insuinfo.some((i) => i.psn_insu_stas === '1' && (i.psn_type !== '12'))).map((p) => p.baseinfo.psn_no)),
    inst: fc.constantFrom('H44030000001', 'H44030000002', 'H44030000003', 'P44030000001'),
    acctUsed: fc.boolean(),
    balances: fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: DEMO.data.persons.length, maxLength: DEMO.data.persons.length }),
    dedcUsed: fc.integer({ min: 0, max: 100_000 }),
    fundUsed: fc.integer({ min: 0, max: 400_000 }),
  });

  it('total = fund + account + cash; nothing negative; nothing past a bound', () => {
    fc.assert(
      fc.property(settleArb, (a) => {
        const patient = DEMO.persons.get(a.psn)!;
        const ins = patient.insuinfo.find((i) => i.psn_insu_stas === '1')!;
        const balances = new Map(DEMO.data.persons.map((p, i) => [p.baseinfo.psn_no, a.balances[i]!]));
        const lines = split(DEMO, a.lines.map((l, i) => ({ feedetl_sn: String(i), med_list_codg: l.code, pricE4: l.pricFen * 100, cntE4: l.cnt * 10_000, amount: l.pricFen * l.cnt, hosp_appr_flag: l.appr })));
        const s = settle(DEMO, { psn: a.psn, inst: a.inst, insutype: ins.insutype, lines, acctUsed: a.acctUsed, state: { balances, dedcUsed: a.dedcUsed, fundUsed: a.fundUsed } });
        const rules = DEMO.policy.insutype[ins.insutype]!;
        expect(s.fund_pay_sumamt + s.acct_pay + s.psn_cash_pay).toBe(s.medfee_sumamt);
        for (const v of [s.fund_pay_sumamt, s.acct_pay, s.psn_cash_pay, s.act_pay_dedc, s.balc, s.acct_mulaid_pay, s.inscp_scp_amt]) expect(v).toBeGreaterThanOrEqual(0);
        expect(s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt).toBe(s.medfee_sumamt);
        if (s.pooled) {
          expect(a.dedcUsed + s.act_pay_dedc).toBeLessThanOrEqual(Math.max(rules.deductible, a.dedcUsed));
          expect(a.fundUsed + s.hifp_pay).toBeLessThanOrEqual(Math.max(rules.cap, a.fundUsed));
        }
        for (const d of s.debits) expect(d.amount).toBeLessThanOrEqual(balances.get(d.psn_no)!);
        expect(s.debits.reduce((t, d) => t + d.amount, 0)).toBe(s.acct_pay);
        if (!a.acctUsed) expect(s.acct_pay).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
