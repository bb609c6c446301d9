/**
 * Screenshots of the cashier terminal's main screens, for docs/ (README):
 *
 *   node --import tsx scripts/screenshots.ts [OUT_DIR]        default OUT_DIR: docs
 *
 * Starts `medpos terminal` twice on free ports with new databases of the demo world (a pharmacy in
 * tester mode, a hospital fee window), walks them in Debian's headless Chromium with fixture cards
 * and e-certificates, and writes terminal-checkout.png, terminal-receipt.png, terminal-day.png and
 * terminal-outpatient.png. Every child process is stopped at the end, also on failure. Chinese text
 * needs a CJK font on the machine (fonts-wqy-microhei or fonts-noto-cjk).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = resolve(process.argv[2] ?? join(ROOT, 'docs'));
const NOW = '2026-11-20T10:00:00+08:00';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const children: ChildProcess[] = [];
const dirs: string[] = [];

async function terminal(args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'medpos-shots-'));
  dirs.push(dir);
  const proc = spawn(process.execPath, [join(ROOT, 'bin/medpos.js'), 'terminal', '--db', join(dir, 'db'), '--world', join(ROOT, 'fixtures/worlds/demo'), '--port', '0', ...args], {
    env: { ...process.env, MEDPOS_NOW: NOW, MEDPOS_HW_VPCD: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error('the terminal printed no URL within 20 s')), 20_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^(http:\/\/\S+)\n/m.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    proc.once('exit', (code) => rej(new Error(`the terminal exited (${code})`)));
  });
}

async function signIn(page: Page, url: string, no: string, name: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill('#opter-no', no);
  await page.fill('#opter-name', name);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#signed-in:not([hidden])');
}

async function add(page: Page, code: string, price: string, count?: string): Promise<void> {
  const n = await page.locator('#lines tbody tr').count();
  await page.fill('#catalog-q', code);
  const row = page.locator(`#catalog-results .result[data-code="${code}"]`);
  await row.locator('.r-pric').fill(price);
  await row.locator('.add').click();
  await page.waitForFunction((k) => document.querySelectorAll('#lines tbody tr').length === k, n + 1);
  if (count) {
    await page.locator('#lines tbody tr').nth(n).locator('.cnt').fill(count);
    await page.locator('#lines tbody tr').nth(n).locator('.cnt').press('Tab');
    await page.waitForFunction(([i, c]) => (document.querySelectorAll('#lines tbody tr .cnt')[i as number] as HTMLInputElement).value === c, [n, count] as const);
  }
  await page.fill('#catalog-q', '');
  await page.evaluate(() => (document.querySelector('#catalog-results')!.innerHTML = ''));
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const pharmacy = await terminal(['--tester', '--terminal-id', 'POS01']);
  const hospital = await terminal(['--institution', 'H44030000001', '--terminal-id', 'FEE01']);
  const profile = mkdtempSync(join(tmpdir(), 'medpos-shots-chromium-'));
  dirs.push(profile);
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());

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
    await ctx.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  process.stdout.write(`screenshots written to ${OUT}\n`);
}

await main();
