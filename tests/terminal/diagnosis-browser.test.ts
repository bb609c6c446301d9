/**
 * The outpatient window's med_type and diagnosis in Debian's Chromium, against `medpos terminal` on
 * the demo world (the platform in process): a chronic patient's filing (5301) picked for med_type 14, sent by 2203 and settled by 2207 under 14;
 * the screen checked against the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBySearch, presettleAndCheck, browserGate, expectContains, expectText, killAll, launchBrowser, newCheckout, openAndSignIn, query, startTerminal, text, type Browser, type TerminalChild } from './helpers.ts';

const gate = browserGate();
if (!gate.ok) console.warn(`outpatient diagnosis browser tests skipped: ${gate.reason}`);

describe.skipIf(!gate.ok)(`the outpatient diagnosis in Chromium${gate.ok ? '' : ` (skipped: ${gate.reason})`}`, { timeout: 90_000 }, () => {
  let term: TerminalChild;
  let b: Browser;

  beforeAll(async () => {
    term = await startTerminal(['--institution', 'H44030000003', '--terminal-id', 'FEE03']);
    b = await launchBrowser();
    await openAndSignIn(b.page, term.url, 'D008', '门诊乙');
  });

  afterAll(async () => {
    await b?.close();
    await term?.stop();
    await killAll();
    expect(b?.errors ?? []).toEqual([]);
  });

  it('(14) shows the patient\'s filings, sends the filed disease by 2203 and settles the visit under med_type 14', async () => {
    const p = b.page;
    await newCheckout(p);
    await p.fill('#id-certno', '440307195802142621'); // 曹玉梅, filing MT440300000024: M03900 高血压
    await p.click('#id-submit');
    await expectText(p, '#patient-name', '曹**');
    await p.selectOption('#med-type', '14');
    await p.waitForFunction(() => !(document.querySelector('#filings') as HTMLSelectElement).hidden && document.querySelectorAll('#filings option[value="0"]').length === 1);
    expect(await text(p, '#filings')).toContain('M03900 高血压');
    expect(await p.inputValue('#dise-codg')).toBe('M03900');
    await p.click('#set-diagnosis');
    await expectContains(p, '#diagnosis-info', '14 · M03900 高血压');
    await p.click('#register');
    await expectContains(p, '#visit-info', '门诊号 MZ');
    const mdtrt = (await text(p, '#visit-info')).match(/就诊 (\S+)/)![1]!;
    const info = query<{ body: string }>(term.db, "SELECT body FROM visit_events WHERE mdtrt_id = ? AND kind = 'info' ORDER BY id DESC LIMIT 1", mdtrt)[0]!;
    expect(JSON.parse(info.body)).toMatchObject({ med_type: '14', dise_codg: 'M03900' });
    // C1 (inpatient.md section 9, the demo's D19): in scope 408.00, the disease's deductible 50.00 left, 358.00 x 0.85 capped to 100.00 left
    await addBySearch(p, 'XC08CAN010A001', '30.00', '10');
    await addBySearch(p, 'XC10AAA050A001', '120.00');
    await presettleAndCheck(p, { medfee: '420.00', inscp: '408.00', dedc: '50.00', fund: '100.00', acct: '0.00', cash: '320.00' });
    await p.check('input[name=tender][value=bank]');
    await p.click('#confirm');
    await p.waitForSelector('#done:not([hidden])');
    const setlId = await text(p, '#done-setl-id');
    expect(query(term.db, 'SELECT mdtrt_id, med_type, clr_type, medfee_sumamt, act_pay_dedc, hifp_pay, psn_cash_pay, chr_dise_code FROM settlements WHERE setl_id = ?', setlId)).toEqual([
      { mdtrt_id: mdtrt, med_type: '14', clr_type: '11', medfee_sumamt: 42_000, act_pay_dedc: 5000, hifp_pay: 10_000, psn_cash_pay: 32_000, chr_dise_code: 'M03900' },
    ]);
  });
});
