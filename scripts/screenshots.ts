/**
 * Screenshots of the cashier terminal's main screens, for docs/ (README):
 *
 *   node --import tsx scripts/screenshots.ts [OUT_DIR]        default OUT_DIR: docs
 *
 * Starts `medpos terminal` twice on free ports with new databases of the demo world (a pharmacy in
 * tester mode, a hospital fee window), walks them in Debian's headless Chromium with fixture cards
 * and e-certificates, and writes terminal-checkout.png, terminal-receipt.png, terminal-day.png and
 * terminal-outpatient.png, and terminal-inpatient.png (the inpatient window, worked example I1
 * trial-settled; `--only inpatient` takes that one alone). Every child process is stopped at the end, also on failure. Chinese text
 * needs a CJK font on the machine (fonts-wqy-microhei or fonts-noto-cjk).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { addBySearch, launchBrowser, openAndSignIn, ROOT, startTerminal, type TerminalChild } from '../tests/terminal/helpers.ts';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const OUT = resolve(args.filter((a, i) => a !== '--only' && args[i - 1] !== '--only')[0] ?? join(ROOT, 'docs'));

/** Starts a terminal with fixture cards in process (no vpcd), whatever the environment says. */
function terminal(args: string[]): Promise<TerminalChild> {
  return startTerminal(args, { MEDPOS_HW_VPCD: '' });
}

const signIn = (page: Page, t: TerminalChild, no: string, name: string) => openAndSignIn(page, t.url, no, name);

/** Adds a line by catalog search, then clears the search so the screenshot shows the bill only. */
async function add(page: Page, code: string, price: string, count?: string): Promise<void> {
  await addBySearch(page, code, price, count);
  await page.fill('#catalog-q', '');
  await page.evaluate(() => (document.querySelector('#catalog-results')!.innerHTML = ''));
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await inpatientShot();
  if (only === 'inpatient') return;
  const pharmacy = await terminal(['--tester', '--terminal-id', 'POS01']);
  const hospital = await terminal(['--institution', 'H44030000001', '--terminal-id', 'FEE01']);
  const browser = await launchBrowser();
  try {
    const page = browser.page;

    // A pharmacy sale: the holder's card for a bound relative would be (d); here 陈喆 with his own card.
    await signIn(page, pharmacy, 'C001', '王收银');
    await page.click('#new-checkout');
    await page.selectOption('#v-card', 'A00000005');
    await page.click('#v-insert');
    await page.waitForSelector('.dev[data-reader="virtual"][data-status="card ready"]');
    await page.click('#read-card');
    await page.waitForSelector('#patient-name');
    await page.selectOption('#v-item', '8612045');
    await page.click('#v-scan-item');
    await page.waitForSelector('#lines tbody tr code.trace');
    const traced = page.locator('#lines tbody tr').first().locator('.pric');
    await traced.fill('18.50');
    await traced.press('Tab');
    await page.waitForFunction(() => document.querySelector('#lines tbody tr .amount')?.textContent === '18.50');
    await add(page, 'XM01AEB010A001', '30.00');
    await add(page, 'XJ01MAL120A001', '15.00', '2');
    await add(page, 'XA11JAD010A001', '20.00');
    await page.click('#presettle');
    await page.waitForSelector('#pre-medfee');
    await page.fill('#tendered', '100');
    await page.dispatchEvent('#tendered', 'input');
    await page.screenshot({ path: join(OUT, 'terminal-checkout.png'), fullPage: true });

    await page.click('#confirm');
    await page.waitForSelector('#receipt:not([hidden]) #rc-setl-id');
    await page.locator('#receipt').screenshot({ path: join(OUT, 'terminal-receipt.png') });

    // More of the day: mutual aid with the holder's card, a mobile payment, a cancellation.
    await page.click('#next-customer');
    await page.selectOption('#v-card', 'A00000002');
    await page.click('#v-insert');
    await page.fill('#relative-certno', '440304201605120318');
    await page.click('#read-card');
    await page.waitForSelector('#holder');
    await add(page, 'ZC01AAF0010', '36.50', '4');
    await page.click('#presettle');
    await page.waitForSelector('#pre-mulaid');
    await page.check('input[name=tender][value=mobile]');
    await page.click('#confirm');
    await page.waitForSelector('#done:not([hidden])');
    await page.click('#next-customer');
    await page.selectOption('#v-card', 'A00000008');
    await page.click('#v-insert');
    await page.click('#read-card');
    await page.waitForSelector('#patient-name');
    await add(page, 'XJ01CAA040A001', '12.50', '2');
    await add(page, 'XA11JAD010A001', '20.00');
    await page.click('#presettle');
    await page.waitForSelector('#pre-cash');
    await page.check('input[name=tender][value=bank]');
    await page.click('#confirm');
    await page.waitForSelector('#done:not([hidden])');
    const cancelId = (await page.textContent('#done-setl-id'))!.trim();
    await page.click('.tab[data-tab="day"]');
    await page.locator(`#day-records tr[data-setl-id="${cancelId}"] .cancel`).click();
    await page.waitForSelector('#day-records tr[data-kind="cancel"]');
    await page.click('#day-check');
    await page.waitForSelector('#day-check-result li');
    await page.evaluate(() => {
      document.querySelector('#banner')!.setAttribute('hidden', '');
      document.querySelector('#receipt')!.setAttribute('hidden', '');
    });
    await page.screenshot({ path: join(OUT, 'terminal-day.png'), fullPage: true });

    // The hospital fee window: register, fee lines, pre-settle.
    await signIn(page, hospital, 'D007', '李收费');
    await page.click('#new-checkout');
    await page.fill('#id-certno', '440305198807300554'); // 陈喆: example H's numbers
    await page.click('#id-submit');
    await page.waitForSelector('#patient-name');
    await page.click('#register');
    await page.waitForFunction(() => (document.querySelector('#visit-info')?.textContent ?? '').includes('门诊号'));
    await add(page, 'XC08CAN010A001', '45.00', '2');
    await add(page, 'XC10AAA050A001', '120.00');
    await add(page, 'C1402060580001', '80.00');
    await add(page, '002101020010000', '60.00');
    await page.click('#presettle');
    await page.waitForSelector('#pre-fund');
    await page.screenshot({ path: join(OUT, 'terminal-outpatient.png'), fullPage: true });
  } finally {
    await browser.close();
    await pharmacy.stop();
    await hospital.stop();
  }
  process.stdout.write(`screenshots written to ${OUT}\n`);
}

/** The inpatient window: worked example I1 (the demo's 马建华 at H44030000001) uploaded, discharged and trial-settled with the split per fund. */
async function inpatientShot(): Promise<void> {
  const ward = await terminal(['--institution', 'H44030000001', '--terminal-id', 'ZY01']);
  const browser = await launchBrowser();
  try {
    const page = browser.page;
    await signIn(page, ward, 'Z001', '赵住院');
    await page.click('.tab[data-tab=inpatient]');
    await page.fill('#ipt-certno', '440303197103152154');
    await page.click('#ipt-id');
    await page.fill('#ipt-dise', 'K80.200');
    await page.click('#ipt-admit');
    await page.waitForSelector('#ipt-state[data-state=ADMITTED]');
    for (const [code, pric, cnt] of [['XC08CAN010A001', '45.00', '200'], ['331000000010000', '21000.00', '1'], ['XL01EAI010A001', '300.00', '40'], ['C0310010010001', '5000.00', '1'], ['110900001000000', '550.00', '3']]) {
      await page.fill('#ipt-code', code!);
      await page.fill('#ipt-pric', pric!);
      await page.fill('#ipt-cnt', cnt!);
      await page.click('#ipt-add');
    }
    await page.click('#ipt-upload');
    await page.waitForFunction(() => document.querySelectorAll('#ipt-lines tr[data-sn]').length === 5);
    await page.click('#ipt-discharge');
    await page.waitForSelector('#ipt-state[data-state=DISCHARGED]');
    await page.click('#ipt-trial');
    await page.waitForSelector('#ipt-trial-funds tr[data-fund]');
    await page.screenshot({ path: join(OUT, 'terminal-inpatient.png'), fullPage: true });
  } finally {
    await browser.close();
    await ward.stop();
  }
}

await main();
