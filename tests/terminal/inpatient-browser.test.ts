/**
 * The inpatient window (住院) in Debian's Chromium, against `medpos terminal --platform URL` whose
 * platform is the stand-in of ./inpatient-platform.ts (inpatient.md's interface, the worked
 * examples' figures). Each walk checks the screen against what the platform holds and against the
 * till's SQLite file: worked example I1 to the fen (admit, the day's fees, discharge, trial with the
 * split per fund, settle, the 住院结算单), I4 (mid-stay settlement, a refund line, final settlement,
 * cancelled by 2305), and the end of day counting clr_type 21 and checking it with 3201.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserGate, expectContains, expectText, fenOf, killAll, launchBrowser, openAndSignIn, query, startTerminal, text, type Browser, type TerminalChild } from './helpers.ts';
import { InpatientStandIn, WORKED, type Kind } from './inpatient-platform.ts';

const gate = browserGate();
if (!gate.ok) console.warn(`inpatient window browser tests skipped: ${gate.reason}`);
if (!gate.ok && process.env.MEDPOS_HW === 'required') {
  describe('inpatient window browser tests (MEDPOS_HW=required)', () => {
    it('has Chromium', () => {
      throw new Error(`MEDPOS_HW=required but: ${gate.reason}`);
    });
  });
}

const PERSON = { psn_no: '44030000000000000901', certno: '440300197001010011', psn_name: '住院甲', insutype: '310', balcFen: 300_000 };
const KINDS: Record<string, Kind> = {
  XB05XAL010B001: { lv: '01' }, // 甲 drug
  '331000000010000': { lv: '01' }, // 甲 operation
  XL01EAI010A001: { lv: '02', selfpay: 0.1 }, // 乙 drug
  C0310010010001: { lv: '02', selfpay: 0.2, capFen: 420_000 }, // 乙 implant, price cap 4200.00
  '110900001000000': { lv: '03' }, // 丙
  XB05BAP010B001: { lv: '01' },
  XJ01DCT040A001: { lv: '02', selfpay: 0.1 },
  '110200001000000': { lv: '01' },
  XC10AAA050A001: { lv: '02', selfpay: 0.1 },
};
const EXAMPLES = { '4865000|0': 'I1', '150000|1': 'I4mid', '220000|0': 'I4final' } as const;

describe.skipIf(!gate.ok)(`the inpatient window in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 120_000 }, () => {
  let platform: InpatientStandIn;
  let term: TerminalChild;
  let b: Browser;
  let dir: string;
  let till: string;

  beforeAll(async () => {
    platform = new InpatientStandIn({ ...PERSON }, KINDS, EXAMPLES);
    await platform.start();
    dir = mkdtempSync(join(tmpdir(), 'medpos-ipt-'));
    till = join(dir, 'till.db');
    term = await startTerminal(['--tester', '--terminal-id', 'ZY01', '--institution', 'H44030000001', '--platform', platform.url, '--till', till]);
    b = await launchBrowser();
    await openAndSignIn(b.page, term.url);
    await b.page.click('.tab[data-tab=inpatient]');
    await b.page.waitForSelector('#tab-inpatient:not([hidden])');
  });

  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await platform?.stop();
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(b?.errors ?? []).toEqual([]);
  });

  async function identifyAndAdmit(): Promise<string> {
    const p = b.page;
    await p.fill('#ipt-certno', PERSON.certno);
    await p.click('#ipt-id');
    await expectContains(p, '#ipt-patient', '住*');
    await p.selectOption('#ipt-med-type', '21');
    await p.fill('#ipt-dise', 'K35.800');
    await p.click('#ipt-admit');
    await p.waitForSelector('#ipt-state[data-state=ADMITTED]');
    return text(p, '#ipt-mdtrt');
  }

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

  async function state(s: string): Promise<void> {
    await b.page.waitForSelector(`#ipt-state[data-state=${s}]`);
  }

  /** Every figure of the trial (or statement) table `id` against the worked example, to the fen. */
  async function expectFigures(id: string, ex: keyof typeof WORKED): Promise<void> {
    const w = WORKED[ex]!;
    for (const k of ['medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt', 'act_pay_dedc', 'fund_pay_sumamt', 'psn_part_amt', 'acct_pay', 'psn_cash_pay', 'balc'])
      await expectText(b.page, `#${id} [data-k=${k}]`, w.setlinfo[k]!.toFixed(2));
    const rows = await b.page.locator(`#${id}-funds tr[data-fund]`).evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.fund, tr.querySelector('.fund-amt')!.textContent, tr.querySelector('.fund-left')!.textContent]));
    expect(rows).toEqual(w.setldetail.map(([code, , amt, left]) => [code, amt.toFixed(2), left === null ? '—' : `余 ${left.toFixed(2)}`]));
  }

  async function settle(tender: 'cash' | 'bank', tendered?: string): Promise<string> {
    const p = b.page;
    const n = await p.locator('#ipt-settlements tr[data-setl]').count();
    await p.check(`input[name=ipt-tender][value=${tender}]`);
    if (tendered !== undefined) await p.fill('#ipt-tendered', tendered);
    await p.click('#ipt-settle');
    await p.waitForFunction((k) => document.querySelectorAll('#ipt-settlements tr[data-setl]').length === k, n + 1);
    return p.locator('#ipt-settlements tr[data-setl]').nth(n).getAttribute('data-setl') as Promise<string>;
  }

  it('(I1) admits, uploads the day\'s fees, discharges, trial-settles with every fund, settles and prints the 住院结算单, to the fen', async () => {
    const p = b.page;
    const mdtrtId = await identifyAndAdmit();
    expect(platform.stays.get(mdtrtId)).toMatchObject({ psn_no: PERSON.psn_no, insutype: '310', med_type: '21', state: 'ADMITTED' });
    expect(platform.calls.find((c) => c.infno === '2401')!.input.mdtrtinfo).toMatchObject({ mdtrt_cert_type: '02', mdtrt_cert_no: PERSON.certno, dise_codg: 'K35.800' });

    await addFees([
      ['XB05XAL010B001', '45.00', '200'],
      ['331000000010000', '21000.00', '1'],
      ['XL01EAI010A001', '300.00', '40'],
      ['C0310010010001', '5000.00', '1'],
      ['110900001000000', '550.00', '3'],
    ]);
    await expectText(p, '#ipt-unsettled', '48650.00');
    // each line's split on screen is the platform's
    for (const l of platform.lines.filter((x) => x.mdtrt_id === mdtrtId)) {
      const cells = await p.locator(`#ipt-lines tr[data-sn="${l.feedetl_sn}"] td.num`).allTextContents();
      expect(cells.slice(2).map(fenOf)).toEqual([l.amountFen, l.split.fulamt_ownpay_amt, l.split.overlmt_amt, l.split.preselfpay_amt, l.split.inscp_scp_amt]);
    }

    // a final trial before discharge is refused, the figures untouched
    await p.uncheck('#ipt-mid');
    await p.click('#ipt-trial');
    await expectContains(p, '#banner', 'stay_admitted');
    await p.click('#ipt-discharge');
    await state('DISCHARGED');
    expect(await p.isChecked('#ipt-mid')).toBe(false);
    await p.click('#ipt-trial');
    await p.waitForSelector('#ipt-trial');
    await expectFigures('ipt-trial', 'I1');
    expect(platform.settlements).toEqual([]); // a trial writes nothing

    const setlId = await settle('bank');
    await state('SETTLED');
    const held = platform.settlements.find((s) => s.setl_id === setlId)!;
    expect(held).toMatchObject({ kind: 'settle', mid: false, in_force: true });
    expect(platform.lines.filter((l) => l.mdtrt_id === mdtrtId).every((l) => l.setl_id === setlId)).toBe(true);
    const sale = query<Record<string, unknown>>(till, 'SELECT kind, clr_type, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay, tender, mdtrt_id FROM terminal_sales WHERE setl_id = ?', setlId)[0];
    expect(sale).toEqual({ kind: 'settle', clr_type: '21', medfee_sumamt: 4_865_000, fund_pay_sumamt: 3_732_800, acct_pay: 300_000, psn_cash_pay: 832_200, tender: 'bank', mdtrt_id: mdtrtId });
    expect((sale!.fund_pay_sumamt as number) + (sale!.acct_pay as number) + (sale!.psn_cash_pay as number)).toBe(sale!.medfee_sumamt);

    await p.click(`#ipt-settlements tr[data-setl="${setlId}"] .statement`);
    await p.waitForSelector('#receipt:not([hidden]) #st-title');
    await expectContains(p, '#st-title', '住院结算单');
    await expectText(p, '#st-setl-id', setlId);
    await expectFigures('st', 'I1');
    await expectText(p, '#st-dedc', '500.00');
    await expectText(p, '#st-cap-left', '0.00');
    const shown = await p.locator('#receipt').textContent();
    expect(shown).not.toContain(PERSON.certno); // masked on paper
  });

  it('(I4) settles mid-stay, takes a refund line, settles at discharge, and cancels that settlement by 2305', async () => {
    const p = b.page;
    const mdtrtId = await identifyAndAdmit();
    await addFees([
      ['XB05BAP010B001', '50.00', '10'],
      ['XJ01DCT040A001', '250.00', '4'],
    ]);
    expect(await p.isChecked('#ipt-mid')).toBe(true); // admitted: a trial is mid-stay
    await p.click('#ipt-trial');
    await p.waitForSelector('#ipt-trial');
    await expectFigures('ipt-trial', 'I4mid');
    const mid = await settle('bank');
    await state('ADMITTED');
    expect(platform.settlements.find((s) => s.setl_id === mid)).toMatchObject({ mid: true, in_force: true });

    await addFees([
      ['110200001000000', '2000.00', '1'],
      ['XC10AAA050A001', '100.00', '3'],
    ]);
    await p.fill('#ipt-lines tr[data-sn="0004"] .refund-cnt', '1');
    await p.click('#ipt-lines tr[data-sn="0004"] .refund');
    await p.waitForSelector('#ipt-lines tr[data-sn="0005"].refund');
    const refund = platform.lines.find((l) => l.mdtrt_id === mdtrtId && l.feedetl_sn === '0005')!;
    expect(refund).toMatchObject({ init_feedetl_sn: '0004', cnt: -1, amountFen: -10_000, split: { fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: -1000, inscp_scp_amt: -9000 } });
    const cells = await p.locator('#ipt-lines tr[data-sn="0005"] td.num').allTextContents();
    expect(cells.map(fenOf)).toEqual([10_000, -100, -10_000, 0, 0, -1000, -9000]); // price, count (x 100), amount, the split
    await expectText(p, '#ipt-unsettled', '2200.00');

    await p.click('#ipt-discharge');
    await state('DISCHARGED');
    await p.click('#ipt-trial');
    await p.waitForSelector('#ipt-trial');
    await expectFigures('ipt-trial', 'I4final');
    await p.fill('#ipt-tendered', '194.39'); // a fen short: refused
    await p.check('input[name=ipt-tender][value=cash]');
    await p.click('#ipt-settle');
    await expectContains(p, '#banner', 'tendered_short');
    const final = await settle('cash', '200');
    await state('SETTLED');
    expect(query(till, 'SELECT tendered, change_amt, psn_cash_pay FROM terminal_sales WHERE setl_id = ?', final)).toEqual([{ tendered: 20_000, change_amt: 560, psn_cash_pay: 19_440 }]);

    await p.click(`#ipt-settlements tr[data-setl="${final}"] .cancel`);
    await state('DISCHARGED');
    const undone = platform.settlements.find((s) => s.init_setl_id === final)!;
    expect(platform.settlements.find((s) => s.setl_id === final)!.in_force).toBe(false);
    await expectText(p, `#ipt-settlements tr[data-setl="${final}"] td:nth-child(7)`, undone.setl_id);
    expect(query(till, 'SELECT kind, init_setl_id, clr_type, medfee_sumamt, psn_cash_pay FROM terminal_sales WHERE setl_id = ?', undone.setl_id)).toEqual([{ kind: 'cancel', init_setl_id: final, clr_type: '21', medfee_sumamt: -220_000, psn_cash_pay: -19_440 }]);
    // the lines of the cancelled settlement are unsettled again; the mid-stay one's stay settled
    const unsettled = platform.lines.filter((l) => l.mdtrt_id === mdtrtId && l.live && !l.setl_id).map((l) => l.feedetl_sn);
    expect(unsettled).toEqual(['0003', '0004', '0005']);
    await expectText(p, '#ipt-unsettled', '2200.00');
  });

  it('(day) the end-of-day report counts the inpatient settlements (clr_type 21) and 3201 agrees', async () => {
    const p = b.page;
    await p.click('.tab[data-tab=day]');
    await p.waitForSelector('#day-groups tr[data-group="310-21"]');
    const records = query<{ n: number; medfee: number }>(till, "SELECT COUNT(*) AS n, SUM(medfee_sumamt) AS medfee FROM terminal_sales WHERE clr_type = '21'")[0]!;
    expect(records.n).toBe(4); // I1, I4 mid-stay, I4 final and its cancellation
    const row = await p.locator('#day-groups tr[data-group="310-21"]').textContent();
    expect(row).toContain('住院');
    expect(row).toContain((records.medfee / 100).toFixed(2));
    await p.click('#day-check');
    await p.waitForSelector('#day-check-result li[data-check="310-21"]');
    expect(await p.getAttribute('#day-check-result li[data-check="310-21"]', 'class')).toBe('ok');
    const check = platform.calls.filter((c) => c.infno === '3201').at(-1)!.input.data;
    expect(check).toMatchObject({ insutype: '310', clr_type: '21', fixmedins_setl_cnt: 4, medfee_sumamt: records.medfee / 100 });
  });
});
