/**
 * Helpers for the terminal tests: the terminal as a child process (`medpos terminal --port 0`), a
 * headless Chromium through playwright-core, the database for checks, and waits with timeouts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/medpos.js');
export const DEMO = join(ROOT, 'fixtures/worlds/demo');
export const NOW = '2026-11-20T10:00:00+08:00';
export const CHROMIUM = process.env.MEDPOS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TerminalChild {
  url: string;
  db: string;
  proc: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Starts `medpos terminal` on a free port with a new database; resolves with the URL it prints. */
export async function startTerminal(args: string[] = [], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<TerminalChild> {
  const dir = mkdtempSync(join(tmpdir(), 'medpos-terminal-'));
  const db = join(dir, 'terminal.db');
  const child = await spawnMedpos(['terminal', '--db', db, '--world', DEMO, '--port', '0', ...args], env, timeoutMs);
  return {
    ...child,
    db,
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type MedposChild = Omit<TerminalChild, 'db'>;

/** Starts a medpos command that prints its URL once listening (at MEDPOS_NOW, logs at warn); resolves with the URL. */
export async function spawnMedpos(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<MedposChild> {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, MEDPOS_NOW: NOW, MEDPOS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let err = '';
  let out = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((res) => proc.once('close', () => res()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`medpos printed no URL within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^(http:\/\/\S+)\n/m.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      rej(new Error(`medpos exited (${code}) before printing its URL; stderr: ${err}`));
    });
  });
  return {
    url,
    proc,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.kill('SIGTERM');
        await exited;
        clearTimeout(kill);
      }
      children.delete(proc);
    },
  };
}

/** Kills every terminal still running (afterAll safety net). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (p) =>
        new Promise<void>((res) => {
          if (p.exitCode !== null || p.signalCode !== null) return res();
          const t = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('close', () => {
            clearTimeout(t);
            res();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
  children.clear();
}

/** A read-only look at the terminal's database file. */
export function query<T = Record<string, unknown>>(db: string, sql: string, ...params: unknown[]): T[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare(sql).all(...params) as T[];
  } finally {
    conn.close();
  }
}

// --- the browser -------------------------------------------------------------------------------

export type BrowserGate = { ok: true } | { ok: false; required: boolean; reason: string };

export function browserGate(): BrowserGate {
  if (existsSync(CHROMIUM)) return { ok: true };
  return { ok: false, required: process.env.MEDPOS_HW === 'required', reason: `no Chromium at ${CHROMIUM} (apt-get install chromium)` };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile directory. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'medpos-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until `sel`'s text (trimmed) is `text`; the error says what it was instead. */
export async function expectText(page: Page, sel: string, text: string, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.trim() === t, [sel, text] as const, { timeout: timeoutMs });
  } catch {
    const actual = await page.evaluate((s) => document.querySelector(s)?.textContent?.trim() ?? '(no such element)', sel);
    const banner = await page.evaluate(() => document.querySelector('#banner')?.textContent ?? '');
    const notices = await page.evaluate(() => document.querySelector('#notices')?.textContent?.trim() ?? '');
    throw new Error(`${sel}: expected "${text}", found "${actual}"${banner ? `; banner: ${banner}` : ''}${notices ? `; notices: ${notices}` : ''}`);
  }
}

/** Waits until `sel`'s text contains `part`. */
export async function expectContains(page: Page, sel: string, part: string, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(([s, t]) => (document.querySelector(s!)?.textContent ?? '').includes(t!), [sel, part] as const, { timeout: timeoutMs });
  } catch {
    const actual = await page.evaluate((s) => document.querySelector(s)?.textContent?.trim() ?? '(no such element)', sel);
    throw new Error(`${sel}: expected to contain "${part}", found "${actual}"`);
  }
}

export async function text(page: Page, sel: string): Promise<string> {
  return (await page.locator(sel).first().textContent())?.trim() ?? '';
}

/** Loads the page and signs the cashier in (9001). */
export async function openAndSignIn(page: Page, url: string, opterNo = 'C001', opterName = '收银甲'): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
  await page.fill('#opter-no', opterNo);
  await page.fill('#opter-name', opterName);
  await page.click('#signin-form button[type=submit]');
  await expectText(page, '#cashier-no', opterNo);
}

export async function newCheckout(page: Page): Promise<void> {
  await page.click('#new-checkout');
  await page.waitForSelector('#checkout-state[data-state="open"]');
  await page.waitForFunction(() => !document.querySelector('#patient .name'));
}

/** Adds an item by catalog search (by its code, or by `q`: part of its name), with its price (and count). */
export async function addBySearch(page: Page, code: string, price: string, count?: string, q = code): Promise<void> {
  const before = await page.locator('#lines tbody tr').count();
  await page.fill('#catalog-q', q);
  const row = page.locator(`#catalog-results .result[data-code="${code}"]`);
  await row.waitFor({ timeout: 10_000 });
  await row.locator('.r-pric').fill(price);
  await row.locator('.add').click();
  await page.waitForFunction((n) => document.querySelectorAll('#lines tbody tr').length === n, before + 1);
  if (count !== undefined) {
    const line = page.locator('#lines tbody tr').nth(before);
    await line.locator('.cnt').fill(count);
    await line.locator('.cnt').press('Tab');
    await page.waitForFunction(([i, c]) => (document.querySelectorAll('#lines tbody tr')[i as number]?.querySelector('.cnt') as HTMLInputElement | null)?.value === c, [before, count] as const);
  }
}

/** Fen from a yuan text on screen ("1,234.50" or "12.50"). */
export function fenOf(s: string): number {
  return Math.round(Number(s.replace(/,/g, '')) * 100);
}

/** Pre-settles and waits for each figure (#pre-KEY) to read as expected. */
export async function presettleAndCheck(page: Page, expected: Record<string, string>): Promise<void> {
  await page.click('#presettle');
  for (const [k, v] of Object.entries(expected)) await expectText(page, `#pre-${k}`, v);
}
