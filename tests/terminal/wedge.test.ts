/**
 * Keyboard-wedge scanners in the cashier page, in Debian's Chromium: real key events through the
 * browser's input pipeline (CDP Input.dispatchKeyEvent: trusted, they type into the focused field),
 * typed at scanner speed (5 ms between keys) and at human speed (90 ms). Each event carries its own
 * timestamp, which Chromium hands to the page as `e.timeStamp`, so the gaps the page judges by are
 * the ones written here however loaded the machine is (checked on every burst).
 * A burst is routed as a serial scanner's line is: an e-certificate identifies the patient, an item
 * barcode adds the item; slow typing stays in its field; a burst with no checkout open is dropped.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
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
const SCANNER_GAP_S = 0.005;
const HUMAN_GAP_S = 0.09;

const lineCount = (p: Page) => p.locator('#lines tbody tr').count();

/** The key a US keyboard presses for `ch` (the characters of EANs and e-certificate codes). */
function keyFor(ch: string): { code: string; keyCode: number; shift: boolean } {
  if (/^[0-9]$/.test(ch)) return { code: `Digit${ch}`, keyCode: ch.charCodeAt(0), shift: false };
  if (/^[A-Za-z]$/.test(ch)) return { code: `Key${ch.toUpperCase()}`, keyCode: ch.toUpperCase().charCodeAt(0), shift: ch !== ch.toLowerCase() };
  if (ch === '-' || ch === '_') return { code: 'Minus', keyCode: 189, shift: ch === '_' };
  if (ch === '.') return { code: 'Period', keyCode: 190, shift: false };
  throw new Error(`no key for ${JSON.stringify(ch)}`);
}

let lastStampS = 0; // a burst starts well after the one before, even when that one ran ahead of the clock

/**
 * Types `text` then Enter into whatever has the focus, a keydown every `gapS` seconds of event time
 * (Shift held for capitals and '_', as a scanner does), and checks that the page saw exactly those gaps.
 */
async function typeWithGaps(p: Page, cdp: CDPSession, text: string, gapS: number): Promise<void> {
  const base = Math.max(Date.now() / 1000, lastStampS + 1);
  let slot = 0;
  const sent: number[] = [];
  const key = async (type: 'keyDown' | 'keyUp', k: { key: string; code: string; keyCode: number; text?: string }, modifiers: number) => {
    const timestamp = base + (type === 'keyDown' ? slot++ : slot - 1) * gapS;
    if (type === 'keyDown') sent.push(timestamp);
    lastStampS = timestamp;
    await cdp.send('Input.dispatchKeyEvent', { type, key: k.key, code: k.code, windowsVirtualKeyCode: k.keyCode, modifiers, timestamp, ...(k.text ? { text: k.text, unmodifiedText: k.text } : {}) });
  };
  const shiftKey = { key: 'Shift', code: 'ShiftLeft', keyCode: 16 };
  await p.evaluate(() => ((window as unknown as { keydownStamps: number[] }).keydownStamps = []));
  for (const ch of text) {
    const { code, keyCode, shift } = keyFor(ch);
    if (shift) await key('keyDown', shiftKey, 8);
    await key('keyDown', { key: ch, code, keyCode, text: ch }, shift ? 8 : 0);
    await key('keyUp', { key: ch, code, keyCode }, shift ? 8 : 0);
    if (shift) await key('keyUp', shiftKey, 0);
  }
  const enter = { key: 'Enter', code: 'Enter', keyCode: 13 };
  await key('keyDown', { ...enter, text: '\r' }, 0);
  await key('keyUp', enter, 0);
  const seen = await p.evaluate(() => (window as unknown as { keydownStamps: number[] }).keydownStamps);
  expect(seen).toHaveLength(sent.length);
  const gaps = (ts: number[], unit: number) => ts.slice(1).map((t, i) => Math.round((t - ts[i]!) * unit));
  expect(gaps(seen, 1), 'the page got the gaps the events were sent with').toEqual(gaps(sent, 1000));
}

describe.skipIf(!gate.ok)(`keyboard-wedge scanner in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 90_000 }, () => {
  let term: TerminalChild;
  let b: Browser;
  let cdp: CDPSession;

  beforeAll(async () => {
    term = await startTerminal(['--tester', '--terminal-id', 'POS09']);
    b = await launchBrowser();
    await openAndSignIn(b.page, term.url);
    cdp = await b.context.newCDPSession(b.page);
    // Every keydown's timeStamp, seen first (window, capture phase), before the wedge's own listener.
    await b.page.evaluate(() => {
      const w = window as unknown as { keydownStamps: number[] };
      w.keydownStamps = [];
      window.addEventListener('keydown', (e) => w.keydownStamps.push(e.timeStamp), true);
    });
  });

  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await killAll();
  });

  it('drops a burst while no checkout is open: it is not carried into the next sale', async () => {
    const p = b.page;
    await p.locator('#events').click(); // focus nowhere in particular
    await typeWithGaps(p, cdp, EAN, SCANNER_GAP_S);
    await expectContains(p, '#events', 'no checkout waiting');
    await newCheckout(p);
    await p.waitForTimeout(300); // a carried scan would arrive now
    expect(await lineCount(p)).toBe(0);
  });

  it('adds an item from a burst typed into a text field, and takes the burst back out of the field', async () => {
    const p = b.page;
    await p.locator('#catalog-q').click();
    await typeWithGaps(p, cdp, EAN, SCANNER_GAP_S);
    await p.waitForSelector('#lines tbody tr:nth-child(1)');
    expect(await p.locator('#lines tbody tr:nth-child(1)').textContent()).toContain('XC08CAN010A001');
    expect(await p.inputValue('#catalog-q')).toBe('');
  });

  it('leaves a person typing the same digits slowly alone', async () => {
    const p = b.page;
    await p.locator('#catalog-q').click();
    await typeWithGaps(p, cdp, EAN, HUMAN_GAP_S);
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
    // Typed into the search field: the code starts with a capital, so the burst starts with Shift.
    await p.locator('#catalog-q').click();
    await typeWithGaps(p, cdp, code, SCANNER_GAP_S);
    await expectText(p, '#patient-name', '赵**');
    await expectContains(p, '#patient', '医保电子凭证');
    expect(await p.inputValue('#catalog-q')).toBe('');
    expect(b.errors).toEqual([]);
  });
});
