/**
 * The cashier page in Debian's Chromium (headless, playwright-core), against `medpos terminal` as a
 * child process with a new database of the demo world. Each walk checks the figures on screen
 * against the database file.
 *
 * Cards: through a pcscd of this test's own (scripts/hw/pcscd-ctl.sh, in the harness's namespace) and
 * vsmartcard's vpcd when the harness is there (scripts/hw/with-pcscd.sh sets MEDPOS_HW_*), through
 * the terminal's in-process reader otherwise. Scanner: a socat pty pair; the virtual scanner types
 * into its device end and the terminal's serial driver reads the other.
 * Without Chromium (or socat for the scanner walk) the suite is skipped with the reason, or fails when
 * MEDPOS_HW=required.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtyPair, socatAvailable } from '../../drivers/scanner/pty-pair.ts';
import { hwGate } from '../drivers/card-helpers.ts';
import {
  addBySearch,
  browserGate,
  expectContains,
  expectText,
  fenOf,
  killAll,
  launchBrowser,
  newCheckout,
  openAndSignIn,
  presettleAndCheck,
  query,
  startTerminal,
  text,
  type Browser,
  type TerminalChild,
} from './helpers.ts';

const gate = browserGate();
const hw = hwGate();
const required = process.env.MEDPOS_HW === 'required';
const haveSocat = socatAvailable();
if (!gate.ok) console.warn(`terminal browser tests skipped: ${gate.reason}`);
if (gate.ok && !hw.ok) console.warn(`terminal browser tests: cards go through the in-process reader (${hw.reason})`);
if (gate.ok && !haveSocat) console.warn('terminal browser tests: the e-certificate walk through a pty scanner is skipped: socat is missing');

if (required && (!gate.ok || !hw.ok || !haveSocat)) {
  describe('terminal browser tests (MEDPOS_HW=required)', () => {
    it('has Chromium, the PC/SC harness and socat', () => {
      throw new Error(`MEDPOS_HW=required but: ${[gate.ok ? '' : gate.reason, hw.ok ? '' : hw.reason, haveSocat ? '' : 'socat is missing'].filter(Boolean).join('; ')}`);
    });
  });
}

type Row = Record<string, number | string | null>;
const one = (db: string, sql: string, ...p: unknown[]) => query<Row>(db, sql, ...p)[0]!;

describe.skipIf(!gate.ok)(`pharmacy checkout in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 90_000 }, () => {
  let term: TerminalChild;
  let b: Browser;
  let pair: PtyPair | undefined;
  let pcscdName: string | undefined;
  const hwEnv: NodeJS.ProcessEnv = { MEDPOS_HW_VPCD: '' };

  beforeAll(async () => {
    if (hw.ok) {
      // A pcscd of our own (its own vpcd port), so other test files' cards never meet ours.
      pcscdName = `terminal-${process.pid}`;
      const port = String(36_100 + (process.pid % 400) * 2);
      const r = spawnSync('bash', [hw.ctl, 'start', pcscdName, '--port', port], { encoding: 'utf8', timeout: 20_000 });
      if (r.status !== 0) throw new Error(`pcscd-ctl start failed: ${r.stderr}`);
      for (const l of r.stdout.split('\n')) {
        const i = l.indexOf('=');
        if (i > 0 && ['PCSCLITE_CSOCK_NAME', 'MEDPOS_HW_VPCD'].includes(l.slice(0, i))) hwEnv[l.slice(0, i)] = l.slice(i + 1);
      }
    }
    const args = ['--tester', '--terminal-id', 'POS01'];
    if (hw.ok) args.push('--reader', 'Virtual PCD 00 00');
    if (haveSocat) {
      pair = new PtyPair();
      await pair.start();
      args.push('--scanner', pair.host, '--scanner-feed', pair.scanner);
    }
    term = await startTerminal(args, hwEnv);
    b = await launchBrowser();
    await openAndSignIn(b.page, term.url);
    // The reader that fixture cards go into is ready (pcscd sees vpcd's reader, or the in-process one).
    await b.page.waitForSelector(`.dev[data-reader="${hw.ok ? 'pcsc' : 'virtual'}"][data-status="waiting for card"]`, { timeout: 20_000 });
  });

  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await pair?.dispose();
    if (pcscdName && hw.ok) spawnSync('bash', [hw.ctl, 'stop', pcscdName], { timeout: 20_000 });
    await killAll();
    expect(b?.errors ?? []).toEqual([]);
  });

  async function insertCard(cardNo: string): Promise<void> {
    await b.page.selectOption('#v-card', cardNo);
    await b.page.click('#v-insert');
    await b.page.waitForSelector(`.dev[data-reader="${hw.ok ? 'pcsc' : 'virtual'}"][data-status="card ready"]`);
  }

  async function confirm(tender: 'cash' | 'bank' | 'mobile', tendered?: string): Promise<string> {
    await b.page.check(`input[name=tender][value=${tender}]`);
    if (tendered !== undefined) await b.page.fill('#tendered', tendered);
    await b.page.click('#confirm');
    await b.page.waitForSelector('#done:not([hidden])');
    await b.page.waitForSelector('#receipt:not([hidden]) #rc-setl-id');
    return text(b.page, '#done-setl-id');
  }

  it('(a) sells with a fixture card (pcscd + vpcd, or in process), takes cash, and never reads the last customer\'s card for the next', async () => {
    const p = b.page;
    await newCheckout(p);
    await insertCard('A00000005'); // 陈喆, generation 2, balance 1520.30
    await expectContains(p, '#v-wire', hw.ok ? 'vpcd → pcscd' : 'in-process');
    await p.click('#read-card');
    await expectText(p, '#patient-name', '陈*');
    await expectText(p, '#patient-certno', '4403**********0554');
    await p.click('#reveal'); // the cashier checks the patient's ID
    await expectText(p, '#patient-certno', '440305198807300554');
    await addBySearch(p, 'XC08CAN010A001', '12.50', '2'); // 甲
    await addBySearch(p, 'XM01AEB010A001', '30.00'); // 乙 0.10
    await addBySearch(p, 'XA11JAD010A001', '20.00', undefined, '多维元素'); // 丙, found by name
    await expectText(p, '#lines-total', '75.00');
    await presettleAndCheck(p, { medfee: '75.00', fulamt: '20.00', preselfpay: '3.00', inscp: '52.00', fund: '0.00', acct: '55.00', mulaid: '0.00', cash: '20.00', balc: '1465.30' });
    await expectText(p, '#lines tbody tr:nth-child(2) .preselfpay', '3.00');
    await expectText(p, '#lines tbody tr:nth-child(3) .fulamt', '20.00');
    await p.fill('#tendered', '50');
    await expectText(p, '#change', '30.00');
    const setlId = await confirm('cash', '50');
    await expectText(p, '#rc-cash', '20.00');
    await expectText(p, '#rc-change', '30.00');

    const s = one(term.db, 'SELECT medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay, balc, psn_no FROM settlements WHERE setl_id = ?', setlId);
    expect(s).toEqual({ medfee_sumamt: 7500, fund_pay_sumamt: 0, acct_pay: 5500, psn_cash_pay: 2000, balc: 146530, psn_no: '44030000000000000005' });
    expect(fenOf(await text(p, '#pre-acct'))).toBe(s.acct_pay);
    expect(one(term.db, 'SELECT tender, tendered, change_amt, terminal_id, opter_no FROM terminal_sales WHERE setl_id = ?', setlId)).toEqual({ tender: 'cash', tendered: 5000, change_amt: 3000, terminal_id: 'POS01', opter_no: 'C001' });
    expect(one(term.db, 'SELECT balc FROM accounts WHERE psn_no = ?', '44030000000000000005')).toEqual({ balc: 146530 });

    // Next customer: 陈喆's card is still in the reader. It is not read; the next card is.
    await p.click('#next-customer');
    await p.waitForSelector('#checkout-state[data-state="open"]');
    await expectContains(p, '#notices', '读卡器中仍有上一张卡');
    await p.click('#read-card'); // the read waits: the card in the reader is the last customer's
    // 刘洋: out with the old card, in with the new, as a cashier does it
    await p.click('#v-remove');
    await p.waitForSelector(`.dev[data-reader="${hw.ok ? 'pcsc' : 'virtual'}"][data-status="waiting for card"]`);
    await insertCard('A00000006');
    await expectText(p, '#patient-name', '刘*');
    // The card pulled mid-checkout is shown.
    await p.click('#v-remove');
    await p.waitForSelector('#card-pulled');
    await p.click('#void-checkout');
    await p.waitForSelector('#checkout-state[data-state="void"]');
  });

  it.skipIf(!haveSocat)('(b) sells with an e-certificate and a trace code through the pty scanner; an expired code is refused; an unplugged scanner shows', async () => {
    const p = b.page;
    await p.waitForSelector('#scanner-status[data-status="listening"]');
    await newCheckout(p);
    await p.selectOption('#v-person', '44030000000000000007'); // 赵秀英
    await p.fill('#v-age', '61'); // shown 61 s after it was issued: expired (ecert_ttl_s 60)
    await p.click('#v-ecert');
    await expectContains(p, '#notices', 'ecert_expired');
    await p.fill('#v-age', '0');
    await p.click('#v-ecert');
    await expectText(p, '#patient-name', '赵**');
    await expectContains(p, '#patient', '医保电子凭证');
    await p.selectOption('#v-item', '6920318002128'); // XC08CAN010A001, EAN-13
    await p.click('#v-scan-item');
    await p.waitForSelector('#lines tbody tr:nth-child(1)');
    await p.click('#v-scan-item'); // the same EAN again: the count goes up
    await p.waitForFunction(() => (document.querySelector('#lines tbody tr:nth-child(1) .cnt') as HTMLInputElement | null)?.value === '2');
    await p.selectOption('#v-item', '8612045'); // XA10BAA020A001, a trace-code prefix
    await p.click('#v-scan-item');
    await p.waitForSelector('#lines tbody tr:nth-child(2) code.trace');
    const trace = await text(p, '#lines tbody tr:nth-child(2) code.trace');
    expect(trace).toMatch(/^8612045\d{13}$/);
    for (const [row, price] of [
      [1, '12.50'],
      [2, '18.50'],
    ] as const) {
      const input = p.locator(`#lines tbody tr:nth-child(${row}) .pric`);
      await input.fill(price);
      await input.press('Tab');
      await expectText(p, `#lines tbody tr:nth-child(${row}) .amount`, row === 1 ? '25.00' : '18.50');
    }
    await presettleAndCheck(p, { medfee: '43.50', acct: '43.50', cash: '0.00', balc: '2167.25' });
    const setlId = await confirm('mobile');
    await expectContains(p, '#receipt', trace);

    const s = one(term.db, 'SELECT medfee_sumamt, acct_pay, psn_cash_pay, mdtrt_cert_type FROM settlements WHERE setl_id = ?', setlId);
    expect([s.medfee_sumamt, s.acct_pay, s.psn_cash_pay]).toEqual([4350, 4350, 0]);
    expect(s.mdtrt_cert_type).toBe('01');
    const sale = one(term.db, 'SELECT tender, lines FROM terminal_sales WHERE setl_id = ?', setlId);
    expect(sale.tender).toBe('mobile');
    expect((JSON.parse(String(sale.lines)) as { trace_code: string | null }[]).map((l) => l.trace_code)).toEqual([null, trace]);
    const bodies = query<{ body: string }>(term.db, 'SELECT f.body FROM fee_lines f JOIN settlement_lines l ON l.fee_line_id = f.id WHERE l.setl_id = ?', setlId);
    expect(bodies.map((r) => JSON.parse(r.body).drug_trac_codg ?? null)).toEqual([null, trace]);

    // The scanner is unplugged (the pty goes away): the page shows it.
    await pair!.stop();
    await p.waitForSelector('#scanner-status:not([data-status="listening"])', { timeout: 15_000 });
    expect(['disconnected', 'reconnecting', 'error']).toContain(await p.getAttribute('#scanner-status', 'data-status'));
  });

  it("(d) pays a bound relative's purchase from the holder's account with the holder's card", async () => {
    const p = b.page;
    await newCheckout(p);
    await insertCard('A00000002'); // 李建国's card
    await p.fill('#relative-certno', '440304201605120318'); // his son 李堃
    await p.click('#read-card');
    await expectText(p, '#patient-name', '李*');
    await p.waitForSelector('#holder');
    await expectContains(p, '#holder', '李**');
    await addBySearch(p, 'ZC01AAF0010', '36.50', '4');
    await presettleAndCheck(p, { medfee: '146.00', acct: '0.00', mulaid: '146.00', cash: '0.00' });
    const setlId = await confirm('cash', '0');
    await expectText(p, '#rc-mulaid', '146.00');
    expect(one(term.db, 'SELECT psn_no, acct_pay, acct_mulaid_pay, psn_cash_pay FROM settlements WHERE setl_id = ?', setlId)).toEqual({
      psn_no: '44030000000000000003',
      acct_pay: 14600,
      acct_mulaid_pay: 14600,
      psn_cash_pay: 0,
    });
    expect(query(term.db, 'SELECT psn_no, amount FROM settlement_debits WHERE setl_id = ?', setlId)).toEqual([{ psn_no: '44030000000000000002', amount: 14600 }]);
    expect(one(term.db, 'SELECT balc FROM accounts WHERE psn_no = ?', '44030000000000000001')).toEqual({ balc: 12000 }); // 王丽华, also a donor, untouched
  });

  it('(e) returns part of a sale and cancels a settlement from the end-of-day screen; the totals match the database and 3201 agrees', async () => {
    const p = b.page;
    await newCheckout(p);
    await insertCard('A00000008'); // 孙浩: balance 0.00, so all of it is cash
    await p.click('#read-card');
    await expectText(p, '#patient-name', '孙*');
    await addBySearch(p, 'XJ01CAA040A001', '12.50');
    await addBySearch(p, 'XA11JAD010A001', '20.00');
    await presettleAndCheck(p, { medfee: '32.50', acct: '0.00', cash: '32.50' });
    const setlId = await confirm('bank');

    await p.click('.tab[data-tab="day"]');
    const row = p.locator(`#day-records tr[data-setl-id="${setlId}"]`);
    await row.waitFor();
    // Partial return: keep the first line, return the 丙 one.
    await row.locator('.return').click();
    const retRow = p.locator(`#day-records tr.return-row[data-for="${setlId}"]`);
    await retRow.locator('.keep').nth(1).uncheck();
    await retRow.locator('.do-return').click();
    await expectContains(p, '#banner', '部分退货完成');
    await expectContains(p, '#banner', '退还 20.00');
    const [cancel1, resale] = query<{ setl_id: string; kind: string; medfee_sumamt: number; init_setl_id: string | null }>(
      term.db,
      'SELECT setl_id, kind, medfee_sumamt, init_setl_id FROM settlements WHERE seq > (SELECT seq FROM settlements WHERE setl_id = ?) ORDER BY seq',
      setlId,
    );
    expect(cancel1).toMatchObject({ kind: 'cancel', medfee_sumamt: -3250, init_setl_id: setlId });
    expect(resale).toMatchObject({ kind: 'settle', medfee_sumamt: 1250 });
    expect(one(term.db, 'SELECT tender FROM terminal_sales WHERE setl_id = ?', resale!.setl_id)).toEqual({ tender: 'bank' });

    // Cancel what is left (2103).
    const keptRow = p.locator(`#day-records tr[data-setl-id="${resale!.setl_id}"]`);
    await keptRow.locator('.cancel').click();
    await expectContains(p, '#banner', '已撤销');
    await p.waitForSelector(`#day-records tr[data-kind="cancel"] >> text=${resale!.setl_id}`);
    const cancel2 = one(term.db, "SELECT setl_id, medfee_sumamt FROM settlements WHERE kind = 'cancel' AND init_setl_id = ?", resale!.setl_id);
    expect(cancel2.medfee_sumamt).toBe(-1250);
    expect(one(term.db, 'SELECT kind, tender FROM terminal_sales WHERE setl_id = ?', cancel2.setl_id)).toEqual({ kind: 'cancel', tender: 'bank' });

    // The day's figures on screen are the database's (every record once, with its sign).
    const groups = query<{ insutype: string; clr_type: string; n: number; medfee: number; fund: number; acct: number; cash: number }>(
      term.db,
      `SELECT insutype, clr_type, count(*) AS n, sum(medfee_sumamt) AS medfee, sum(fund_pay_sumamt) AS fund, sum(acct_pay) AS acct, sum(psn_cash_pay) AS cash
       FROM settlements WHERE setl_date = '2026-11-20' AND kind <> 'reversal' GROUP BY insutype, clr_type`,
    );
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      const tr = `#day-groups tr[data-group="${g.insutype}-${g.clr_type}"]`;
      expect(Number(await text(p, `${tr} .count`))).toBe(g.n);
      expect(fenOf(await text(p, `${tr} .medfee`))).toBe(g.medfee);
      expect(fenOf(await text(p, `${tr} .fund`))).toBe(g.fund);
      expect(fenOf(await text(p, `${tr} .acct`))).toBe(g.acct);
      expect(fenOf(await text(p, `${tr} .cash`))).toBe(g.cash);
    }
    const tenders = query<{ tender: string; cash: number }>(term.db, "SELECT tender, sum(psn_cash_pay) AS cash FROM terminal_sales WHERE setl_date = '2026-11-20' GROUP BY tender");
    for (const t of tenders) expect(fenOf(await text(p, `#day-tenders tr[data-tender="${t.tender}"] .cash`))).toBe(t.cash);
    const net = one(term.db, "SELECT sum(fund_pay_sumamt) AS fund, sum(acct_pay) AS acct, sum(psn_cash_pay) AS cash FROM settlements WHERE setl_date = '2026-11-20' AND kind <> 'reversal'");
    for (const k of ['fund', 'acct', 'cash'] as const) expect(await text(p, `#split-chart text[data-legend="${k}"]`)).toContain((Number(net[k]) / 100).toFixed(2));
    await p.click('#day-check');
    await p.waitForSelector('#day-check-result li');
    expect(await p.locator('#day-check-result li.error').count()).toBe(0);
    expect(await p.locator('#day-check-result li.ok').count()).toBe(groups.length);

    // A reprint says so.
    await p.locator(`#day-records tr[data-setl-id="${setlId}"] .reprint`).click();
    await p.locator(`#day-records tr[data-setl-id="${setlId}"] .reprint`).click();
    await p.waitForSelector('#rc-reprint');
    await p.click('.tab[data-tab="checkout"]');
  });

  it('(f) refuses a forged card (A00000016) and writes nothing', async () => {
    const p = b.page;
    const before = one(term.db, 'SELECT count(*) AS n FROM settlements').n;
    await newCheckout(p);
    await insertCard('A00000016');
    await p.click('#read-card');
    await expectContains(p, '#banner', '[card_forged]');
    await expectContains(p, '#notices', 'card_forged');
    expect(await p.locator('#patient .name').count()).toBe(0);
    expect(await p.isDisabled('#register')).toBe(true);
    expect(one(term.db, 'SELECT count(*) AS n FROM settlements').n).toBe(before);
    expect(one(term.db, "SELECT count(*) AS n FROM attempts WHERE infno = '1101' AND err_code = 'card_forged'").n).toBe(1);
    await p.click('#v-remove');
  });
});

describe.skipIf(!gate.ok)(`hospital fee window in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 90_000 }, () => {
  let term: TerminalChild;
  let b: Browser;
  beforeAll(async () => {
    term = await startTerminal(['--institution', 'H44030000002', '--terminal-id', 'FEE02'], { MEDPOS_HW_VPCD: '' });
    b = await launchBrowser();
    await openAndSignIn(b.page, term.url, 'D007', '收费员丙');
  });
  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await killAll();
    expect(b?.errors ?? []).toEqual([]);
  });

  it('(c) registers (2201), uploads fee lines (2204), pre-settles (2206) and settles (2207) an outpatient visit', async () => {
    const p = b.page;
    expect(await text(p, '#inst-code')).toBe('H44030000002');
    expect(await text(p, '#mode-badge')).toBe('门诊收费');
    await newCheckout(p);
    await p.fill('#id-certno', '44030619900218071X'); // 刘洋, by ID number (02)
    await p.click('#id-submit');
    await expectText(p, '#patient-name', '刘*');
    await p.click('#register');
    await expectContains(p, '#visit-info', '门诊号 MZ');
    await addBySearch(p, '002501020150000', '25.00'); // 血常规
    await addBySearch(p, '001102000010000', '20.00'); // 诊察费
    await addBySearch(p, 'XJ01CAA040A001', '12.50', '2');
    // D2: in scope 70.00, deductible reached, 0.6 at hosp_lv 2: fund 42.00, account 28.00, balance 940.20.
    await presettleAndCheck(p, { medfee: '70.00', inscp: '70.00', dedc: '0.00', fund: '42.00', acct: '28.00', cash: '0.00', balc: '940.20' });
    await expectText(p, '#lines tbody tr:nth-child(3) .inscp', '25.00');
    const mdtrt = (await text(p, '#visit-info')).match(/就诊 (\S+)/)![1]!;
    expect(query(term.db, 'SELECT count(*) AS n FROM fee_lines WHERE mdtrt_id = ?', mdtrt)).toEqual([{ n: 3 }]);
    await p.check('input[name=tender][value=bank]');
    await p.click('#confirm');
    await p.waitForSelector('#done:not([hidden])');
    const setlId = await text(p, '#done-setl-id');
    await expectText(p, '#rc-fund', '42.00');
    expect(one(term.db, 'SELECT mdtrt_id, clr_type, med_type, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay FROM settlements WHERE setl_id = ?', setlId)).toEqual({
      mdtrt_id: mdtrt,
      clr_type: '11',
      med_type: '11',
      medfee_sumamt: 7000,
      fund_pay_sumamt: 4200,
      acct_pay: 2800,
      psn_cash_pay: 0,
    });
    expect(one(term.db, "SELECT count(*) AS n FROM messages WHERE infno IN ('2201', '2203', '2204', '2206', '2207')").n).toBeGreaterThanOrEqual(4);
    expect(one(term.db, 'SELECT opter_no, tender FROM terminal_sales WHERE setl_id = ?', setlId)).toEqual({ opter_no: 'D007', tender: 'bank' });
  });
});

