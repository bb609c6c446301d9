/**
 * The inpatient window in Debian's Chromium against the real platform in the terminal's process
 * (the demo world, whose policy and patients hold inpatient.md's worked examples): I1 by 马建华's
 * card (fixture A00000031 in the in-process reader), I2 (钱文斌, pool + civil-servant subsidy) and I3
 * (邓秀兰, pool + serious illness + medical assistance) by card, and I4 (mid-stay, a refund line, final) by ID
 * number, each figure on screen compared with the ledger's settlement, its fund rows and counters,
 * to the fen; then 2305 restores the counters, and the day's clr_type 21 is checked by 3201.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserGate, expectContains, expectText, fenOf, killAll, launchBrowser, openAndSignIn, query, startTerminal, text, type Browser, type TerminalChild } from './helpers.ts';

const gate = browserGate();
if (!gate.ok) console.warn(`inpatient window (ledger) browser tests skipped: ${gate.reason}`);

type Row = Record<string, number | string | null>;
const FIGS = ['medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt', 'act_pay_dedc', 'fund_pay_sumamt', 'psn_part_amt', 'acct_pay', 'acct_mulaid_pay', 'psn_cash_pay', 'balc'];

describe.skipIf(!gate.ok)(`the inpatient window on the ledger in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 120_000 }, () => {
  let term: TerminalChild;
  let term2: TerminalChild;
  let term3: TerminalChild; // H44030000002 with fixture cards, its own ledger so the day test sees I4 alone
  let b: Browser;
  let db = '';
  const one = (sql: string, ...p: unknown[]) => query<Row>(db, sql, ...p)[0]!;

  beforeAll(async () => {
    term = await startTerminal(['--tester', '--institution', 'H44030000001', '--terminal-id', 'ZY01'], { MEDPOS_HW_VPCD: '' });
    term2 = await startTerminal(['--institution', 'H44030000002', '--terminal-id', 'ZY02']);
    term3 = await startTerminal(['--tester', '--institution', 'H44030000002', '--terminal-id', 'ZY03'], { MEDPOS_HW_VPCD: '' });
    b = await launchBrowser();
  });

  const signedIn = new Set<string>(); // the sign-in outlives a reload: a terminal seen before is only reopened
  async function open(t: TerminalChild): Promise<void> {
    db = t.db;
    if (signedIn.has(t.url)) {
      await b.page.goto(t.url);
      await b.page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
      await expectText(b.page, '#cashier-no', 'Z001');
    } else {
      await openAndSignIn(b.page, t.url, 'Z001', '住院收费');
      signedIn.add(t.url);
    }
    await b.page.click('.tab[data-tab=inpatient]');
  }

  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await term2?.stop();
    await term3?.stop();
    await killAll();
    expect(b?.errors ?? []).toEqual([]);
  });

  async function addFees(lines: Array<[string, string, string]>): Promise<void> {
    const p = b.page;
    const before = await p.locator('#ipt-lines tr[data-sn]').count();
    for (const [code, pric, cnt] of lines) {
      await p.fill('#ipt-code', code);
      await p.fill('#ipt-pric', pric);
      await p.fill('#ipt-cnt', cnt);
      await p.click('#ipt-add');
    }
    await p.click('#ipt-upload');
    await p.waitForFunction((n) => document.querySelectorAll('#ipt-lines tr[data-sn]').length === n, before + lines.length);
  }

  /** The figures (fen) and fund rows the table `id` shows. */
  async function shown(id: string) {
    const figs: Record<string, number> = {};
    for (const k of FIGS) figs[k] = fenOf(await text(b.page, `#${id} [data-k=${k}]`));
    const rows = await b.page.locator(`#${id}-funds tr[data-fund]`).evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.fund, tr.querySelector('.fund-amt')!.textContent, tr.querySelector('.fund-left')!.textContent]));
    return { figs, funds: rows.map(([f, a, l]) => [f, fenOf(a!), l === '—' ? null : fenOf(l!.replace('余 ', ''))]) };
  }

  /** The same of the ledger's settlement `setlId` and its settlement_funds rows. */
  function ledger(setlId: string) {
    const row = one(`SELECT ${FIGS.join(', ')} FROM settlements WHERE setl_id = ?`, setlId);
    const funds = query<Row>(db, 'SELECT fund_pay_type, fund_payamt, cap_left_after FROM settlement_funds WHERE setl_id = ? ORDER BY ord', setlId);
    return { figs: Object.fromEntries(FIGS.map((k) => [k, row[k]])), funds: funds.map((f) => [f.fund_pay_type, f.fund_payamt, f.cap_left_after]) };
  }

  /** 2303 shown, then 2304: the trial on screen is what the ledger settled. */
  async function trialThenSettle(tender: 'bank' | 'cash', tendered?: string): Promise<string> {
    const p = b.page;
    await p.click('#ipt-trial');
    await p.waitForSelector('#ipt-trial');
    const trial = await shown('ipt-trial');
    const n = await p.locator('#ipt-settlements tr[data-setl]').count();
    await p.check(`input[name=ipt-tender][value=${tender}]`);
    if (tendered) await p.fill('#ipt-tendered', tendered);
    await p.click('#ipt-settle');
    await p.waitForFunction((k) => document.querySelectorAll('#ipt-settlements tr[data-setl]').length === k, n + 1);
    const setlId = (await p.locator('#ipt-settlements tr[data-setl]').nth(n).getAttribute('data-setl'))!;
    expect(trial).toEqual(ledger(setlId));
    return setlId;
  }

  it('(I1) by card: admit, the day\'s fees, discharge, the trial split per fund, settle and the 住院结算单 are the ledger\'s, to the fen', async () => {
    const p = b.page;
    await open(term);
    // the window starts a checkout for the patient, which takes only a card inserted after it began: read, then insert
    await p.click('#ipt-read-card');
    await p.selectOption('#v-card', 'A00000031');
    await p.click('#v-insert');
    await expectContains(p, '#ipt-patient', '马**');
    await p.fill('#ipt-dise', 'K80.200');
    await p.click('#ipt-admit');
    await p.waitForSelector('#ipt-state[data-state=ADMITTED]');
    const mdtrt = await text(p, '#ipt-mdtrt');
    expect(one('SELECT psn_no, inpatient, state, med_type, dise_codg, cert_type FROM visits WHERE mdtrt_id = ?', mdtrt)).toEqual({ psn_no: '44030000000000000020', inpatient: 1, state: 'ADMITTED', med_type: '21', dise_codg: 'K80.200', cert_type: '03' });
    await addFees([
      ['XC08CAN010A001', '45.00', '200'],
      ['331000000010000', '21000.00', '1'],
      ['XL01EAI010A001', '300.00', '40'],
      ['C0310010010001', '5000.00', '1'],
      ['110900001000000', '550.00', '3'],
    ]);
    expect(one('SELECT COUNT(*) AS n, SUM(amount) AS s FROM fee_lines WHERE mdtrt_id = ?', mdtrt)).toEqual({ n: 5, s: 4_865_000 });
    await expectText(p, '#ipt-lines tr[data-sn="0004"] td:nth-child(8)', '800.00'); // the implant's part above its cap
    await p.click('#ipt-discharge');
    await p.waitForSelector('#ipt-state[data-state=DISCHARGED]');
    const setlId = await trialThenSettle('bank');
    await p.waitForSelector('#ipt-state[data-state=SETTLED]');
    expect(one('SELECT clr_type, mid_setl_flag, hifp_pay, hifob_pay FROM settlements WHERE setl_id = ?', setlId)).toEqual({ clr_type: '21', mid_setl_flag: '0', hifp_pay: 1_000_000, hifob_pay: 2_732_800 });
    await p.click(`#ipt-settlements tr[data-setl="${setlId}"] .statement`);
    await p.waitForSelector('#receipt:not([hidden]) #st-title');
    expect(await shown('st')).toEqual(ledger(setlId));
    await expectText(p, '#st-dedc', '500.00');
    await expectText(p, '#st-cap-left', '0.00');
    expect(one('SELECT ipt_cnt, ipt_fund_used, major_base, major_fund_used FROM counters WHERE psn_no = ? AND year = 2026', '44030000000000000020')).toEqual({ ipt_cnt: 2, ipt_fund_used: 30_000_000, major_base: 8_646_000, major_fund_used: 4_516_800 });
    expect(one('SELECT balc FROM accounts WHERE psn_no = ?', '44030000000000000020')).toEqual({ balc: 0 });
  });

  /** inpatient.md §9's worked example by card, final settlement, checked against the ledger and the spec's table (fen). */
  async function byCard(t: TerminalChild, card: string, masked: string, psn: string, lines: Array<[string, string, string]>, spec: { figs: Record<string, number>; pays: Record<string, number>; funds: Array<[string, number]> }): Promise<string> {
    const p = b.page;
    await open(t);
    await p.click('#ipt-read-card');
    await p.selectOption('#v-card', card);
    await p.click('#v-insert');
    await expectContains(p, '#ipt-patient', masked);
    await p.fill('#ipt-dise', 'K80.200');
    await p.click('#ipt-admit');
    await p.waitForSelector('#ipt-state[data-state=ADMITTED]');
    const mdtrt = await text(p, '#ipt-mdtrt');
    expect(one('SELECT psn_no, inpatient, state, med_type, cert_type FROM visits WHERE mdtrt_id = ?', mdtrt)).toEqual({ psn_no: psn, inpatient: 1, state: 'ADMITTED', med_type: '21', cert_type: '03' });
    await addFees(lines);
    expect(one('SELECT COUNT(*) AS n, SUM(amount) AS s FROM fee_lines WHERE mdtrt_id = ?', mdtrt)).toEqual({ n: lines.length, s: spec.figs.medfee_sumamt });
    await p.click('#ipt-discharge');
    await p.waitForSelector('#ipt-state[data-state=DISCHARGED]');
    const setlId = await trialThenSettle('bank');
    await p.waitForSelector('#ipt-state[data-state=SETTLED]');
    const settled = ledger(setlId);
    expect(settled.figs).toMatchObject(spec.figs);
    expect(settled.funds.map(([f, a]) => [f, a])).toEqual(spec.funds);
    const pays = Object.keys(spec.pays);
    expect(one(`SELECT clr_type, mid_setl_flag, ${pays.join(', ')} FROM settlements WHERE setl_id = ?`, setlId)).toEqual({ clr_type: '21', mid_setl_flag: '0', ...spec.pays });
    await p.click(`#ipt-settlements tr[data-setl="${setlId}"] .statement`);
    await p.waitForSelector('#receipt:not([hidden]) #st-title');
    expect(await shown('st')).toEqual(settled);
    await expectText(p, '#st-dedc', (spec.figs.act_pay_dedc! / 100).toFixed(2));
    return setlId;
  }

  it('(I2) by card at a level-2 hospital: the pool, then the civil-servant subsidy (320100), to the fen', async () => {
    await byCard(term3, 'A00000032', '钱**', '44030000000000000021', [
      ['331000000010000', '15000.00', '1'],
      ['XJ01DHM010B001', '600.00', '10'],
      ['110900001000000', '800.00', '1'],
    ], {
      figs: { medfee_sumamt: 2_180_000, fulamt_ownpay_amt: 80_000, overlmt_selfpay: 0, preselfpay_amt: 90_000, inscp_scp_amt: 2_010_000, act_pay_dedc: 70_000, fund_pay_sumamt: 1_927_680, psn_part_amt: 252_320, acct_pay: 172_320, psn_cash_pay: 80_000, balc: 327_680 },
      pays: { hifp_pay: 1_804_200, hifob_pay: 0, hifmi_pay: 0, cvlserv_pay: 123_480, maf_pay: 0 },
      funds: [['310100', 1_804_200], ['320100', 123_480]],
    });
    expect(one('SELECT ipt_cnt, ipt_fund_used, cvlserv_used FROM counters WHERE psn_no = ? AND year = 2026', '44030000000000000021')).toEqual({ ipt_cnt: 1, ipt_fund_used: 1_804_200, cvlserv_used: 123_480 });
    expect(one('SELECT balc FROM accounts WHERE psn_no = ?', '44030000000000000021')).toEqual({ balc: 327_680 });
  });

  it('(I3) by card at a level-3 hospital: the pool, serious-illness insurance (390200) and medical assistance (610100), to the fen', async () => {
    await byCard(term, 'A00000033', '邓**', '44030000000000000022', [
      ['331000000010000', '82000.00', '1'],
      ['XL01EAI010A001', '2000.00', '10'],
      ['110900001000000', '1500.00', '2'],
    ], {
      figs: { medfee_sumamt: 10_500_000, fulamt_ownpay_amt: 300_000, overlmt_selfpay: 0, preselfpay_amt: 200_000, inscp_scp_amt: 10_000_000, act_pay_dedc: 45_000, fund_pay_sumamt: 9_592_368, psn_part_amt: 907_632, acct_pay: 0, psn_cash_pay: 907_632, balc: 0 },
      pays: { hifp_pay: 6_470_750, hifob_pay: 0, hifmi_pay: 2_170_475, cvlserv_pay: 0, maf_pay: 951_143 },
      funds: [['390100', 6_470_750], ['390200', 2_170_475], ['610100', 951_143]],
    });
    // the world's year so far (2nd admission, major_base 20000.00, major_fund_used 3000.00, maf_used 6000.00) plus this stay
    expect(one('SELECT ipt_cnt, major_base, major_fund_used, maf_used FROM counters WHERE psn_no = ? AND year = 2026', '44030000000000000022')).toEqual({ ipt_cnt: 2, major_base: 5_529_250, major_fund_used: 2_470_475, maf_used: 1_551_143 });
  });

  it('(I4) by ID number: mid-stay, a refund line, final; the trial is the settlement; 2305 restores the counters', async () => {
    const p = b.page;
    await open(term2);
    const psn = '44030000000000000023';
    const before = one('SELECT ipt_cnt, ipt_fund_used, major_base FROM counters WHERE psn_no = ? AND year = 2026', psn) ?? { ipt_cnt: 0, ipt_fund_used: 0, major_base: 0 };
    await p.fill('#ipt-certno', '440306198505201178'); // 谢志强, at H44030000002 (hosp_lv 2)
    await p.click('#ipt-id');
    await expectContains(p, '#ipt-patient', '谢**');
    await p.click('#ipt-admit');
    await p.waitForSelector('#ipt-state[data-state=ADMITTED]');
    const mdtrt = await text(p, '#ipt-mdtrt');
    await addFees([
      ['110200001000000', '50.00', '10'],
      ['XL01EAI010A001', '250.00', '4'],
    ]);
    const mid = await trialThenSettle('bank');
    expect(one('SELECT mid_setl_flag, hifp_pay, acct_pay FROM settlements WHERE setl_id = ?', mid)).toEqual({ mid_setl_flag: '1', hifp_pay: 60_900, acct_pay: 89_100 });
    await addFees([
      ['331000000010000', '2000.00', '1'],
      ['XL01EAI010A001', '100.00', '3'],
    ]);
    await p.fill('#ipt-lines tr[data-sn="0004"] .refund-cnt', '1');
    await p.click('#ipt-lines tr[data-sn="0004"] .refund');
    await p.waitForSelector('#ipt-lines tr[data-sn="0005"].refund');
    expect(one("SELECT cnt_e4, amount, preselfpay_amt, inscp_scp_amt FROM fee_lines WHERE mdtrt_id = ? AND feedetl_sn = '0005'", mdtrt)).toEqual({ cnt_e4: -10_000, amount: -10_000, preselfpay_amt: -1000, inscp_scp_amt: -9000 });
    await p.click('#ipt-discharge');
    await p.waitForSelector('#ipt-state[data-state=DISCHARGED]');
    const final = await trialThenSettle('cash', '200');
    expect(one('SELECT medfee_sumamt, hifp_pay, acct_pay, psn_cash_pay FROM settlements WHERE setl_id = ?', final)).toEqual({ medfee_sumamt: 220_000, hifp_pay: 189_660, acct_pay: 10_900, psn_cash_pay: 19_440 });
    expect(one('SELECT ipt_cnt, ipt_fund_used, major_base FROM counters WHERE psn_no = ? AND year = 2026', psn)).toEqual({ ipt_cnt: Number(before.ipt_cnt) + 1, ipt_fund_used: Number(before.ipt_fund_used) + 250_560, major_base: Number(before.major_base) + 107_440 });

    await p.click(`#ipt-settlements tr[data-setl="${final}"] .cancel`);
    await p.waitForSelector('#ipt-state[data-state=DISCHARGED]');
    const undo = one('SELECT setl_id, medfee_sumamt, clr_type FROM settlements WHERE init_setl_id = ?', final);
    expect([undo.medfee_sumamt, undo.clr_type]).toEqual([-220_000, '21']);
    expect(one('SELECT ipt_fund_used FROM counters WHERE psn_no = ? AND year = 2026', psn)).toEqual({ ipt_fund_used: Number(before.ipt_fund_used) + 60_900 });
    expect(one('SELECT balc FROM accounts WHERE psn_no = ?', psn)).toEqual({ balc: 10_900 });
  });

  it('(day) counts the day\'s inpatient records (clr_type 21) and 3201 agrees', async () => {
    const p = b.page; // still at H44030000002: I4's mid-stay, final and its cancellation
    await p.click('.tab[data-tab=day]');
    await p.waitForSelector('#day-groups tr[data-group="310-21"]');
    await p.click('#day-check');
    await p.waitForSelector('#day-check-result li[data-check="310-21"]');
    expect(await p.getAttribute('#day-check-result li[data-check="310-21"]', 'class')).toBe('ok');
    const n = one("SELECT COUNT(*) AS n, SUM(medfee_sumamt) AS s FROM settlements WHERE clr_type = '21' AND fixmedins_code = 'H44030000002'");
    expect(n).toEqual({ n: 3, s: 150_000 });
    const cells = await p.locator('#day-groups tr[data-group="310-21"] td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['310 职工基本医疗保险', '21 住院', '3', '1500.00']);
  });
});

