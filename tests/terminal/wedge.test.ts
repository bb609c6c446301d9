/**
 * Keyboard-wedge scanners in the cashier page, in Debian's Chromium: real key events through the
 * browser's input pipeline, typed at scanner speed (no delay between keys) and at human speed.
 * A burst is routed as a serial scanner's line is: an e-certificate identifies the patient, an item
 * barcode adds the item; slow typing stays in its field; a burst with no checkout open is dropped.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BIN, browserGate, expectContains, expectText, killAll, launchBrowser, newCheckout, NOW, openAndSignIn, ROOT, startTerminal, type Browser, type TerminalChild } from './helpers.ts';

const gate = browserGate();
if (!gate.ok) console.warn(`keyboard-wedge browser tests skipped: ${gate.reason}`);
if (!gate.ok && gate.required) {
  describe('keyboard-wedge browser tests (MEDPOS_HW=required)', () => {
    it('has Chromium', () => {
      throw new Error(gate.reason);
    });
  });
}

const EAN = '6920318002128'; // XC08CAN010A001 in the demo world
const SCANNER_DELAY_MS = 0;
const HUMAN_DELAY_MS = 90;

const lineCount = (p: Page) => p.locator('#lines tbody tr').count();

describe.skipIf(!gate.ok)(`keyboard-wedge scanner in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 90_000 }, () => {
  let term: TerminalChild;
  let b: Browser;

  beforeAll(async () => {
    term = await startTerminal(['--tester', '--terminal-id', 'POS09']);
    b = await launchBrowser();
    await openAndSignIn(b.page, term.url);
  });

  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await killAll();
  });

  it('drops a burst while no checkout is open: it is not carried into the next sale', async () => {
    const p = b.page;
    await p.locator('#events').click(); // focus nowhere in particular
    await p.keyboard.type(EAN, { delay: SCANNER_DELAY_MS });
    await p.keyboard.press('Enter');
    await expectContains(p, '#events', 'no checkout waiting');
    await newCheckout(p);
    await p.waitForTimeout(300); // a carried scan would arrive now
    expect(await lineCount(p)).toBe(0);
  });

  it('adds an item from a burst typed into a text field, and takes the burst back out of the field', async () => {
    const p = b.page;
    await p.locator('#catalog-q').click();
    await p.keyboard.type(EAN, { delay: SCANNER_DELAY_MS });
    await p.keyboard.press('Enter');
    await p.waitForSelector('#lines tbody tr:nth-child(1)');
    expect(await p.locator('#lines tbody tr:nth-child(1)').textContent()).toContain('XC08CAN010A001');
    expect(await p.inputValue('#catalog-q')).toBe('');
  });

  it('leaves a person typing the same digits slowly alone', async () => {
    const p = b.page;
    await p.locator('#catalog-q').click();
    await p.keyboard.type(EAN, { delay: HUMAN_DELAY_MS });
    await p.keyboard.press('Enter');
    await p.waitForTimeout(300);
    expect(await p.inputValue('#catalog-q')).toBe(EAN);
    expect(await lineCount(p)).toBe(1);
    await p.fill('#catalog-q', '');
  });

  it('identifies the patient from an e-certificate code typed as a burst', async () => {
    const p = b.page;
    const issued = spawnSync(process.execPath, [BIN, 'ecert', 'issue', '--db', term.db, '--psn', '44030000000000000007', '--ttl', '86400'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, MEDPOS_NOW: NOW },
    });
    expect(issued.status, issued.stderr).toBe(0);
    const code = issued.stdout.trim().split('\n').pop()!;
    await p.locator('#events').click();
    await p.keyboard.type(code, { delay: SCANNER_DELAY_MS });
    await p.keyboard.press('Enter');
    await expectText(p, '#patient-name', '赵**');
    await expectContains(p, '#patient', '医保电子凭证');
    expect(b.errors).toEqual([]);
  });
});
