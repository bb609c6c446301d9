/**
 * No cross-site calls, in the real Chromium: a page of another origin that the cashier happens to open
 * tries to settle through the terminal's gateway (a text/plain form post and a fetch) and to drive the
 * page's API; nothing is settled and nothing is written. The same envelope sent by hospital software
 * (no Origin) settles, so it is the origin that was refused, not the body.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../gateway-helpers.ts';
import { browserGate, killAll, launchBrowser, query, startTerminal, type Browser, type TerminalChild } from './helpers.ts';

const gate = browserGate();
if (!gate.ok) console.warn(`cross-origin browser test skipped: ${gate.reason}`);
if (!gate.ok && gate.required) {
  describe('cross-origin browser test (MEDPOS_HW=required)', () => {
    it('has Chromium', () => {
      throw new Error(`MEDPOS_HW=required but ${gate.reason}`);
    });
  });
}

const PATH = '/fsi/api/rsfComIfsService/callService';

function settlement(msgid: string) {
  return {
    infno: '2102',
    msgid,
    fixmedins_code: 'P44030000001',
    insuplc_admdvs: '440300',
    input: {
      druginfo: { psn_no: '44030000000000000006', mdtrt_cert_type: '02', mdtrt_cert_no: '44030619900218071X', medfee_sumamt: '25.00', insutype: '310', med_type: '41', acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: 'R1', med_list_codg: 'XJ01CAA040A001', det_item_fee_sumamt: '25.00', cnt: '2', pric: '12.50' }],
    },
  };
}

/** The hostile page: a text/plain form aimed at the gateway, a fetch, and a call to the page's API. */
function hostilePage(target: string): string {
  const body = JSON.stringify(settlement('P440300000012026112010000001')).slice(0, -1);
  // a text/plain form sends name=value: the name carries the JSON, the value closes it
  const name = `${body},"pad":"`;
  return `<!doctype html><meta charset="utf-8"><title>offer</title>
<iframe name="sink"></iframe>
<form id="f" method="post" enctype="text/plain" target="sink" action="${target}${PATH}"><input type="hidden" name='${name.replace(/'/g, '&#39;')}' value='"}'></form>
<script>
window.attack = async () => {
  const results = {};
  const sink = document.querySelector('iframe');
  await new Promise((res) => { sink.onload = res; document.getElementById('f').submit(); });
  results.form = 'sent';
  try {
    const r = await fetch(${JSON.stringify(target + PATH)}, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(JSON.stringify(settlement('P440300000012026112010000002')))} });
    results.fetch = r.status;
  } catch (e) { results.fetch = 'blocked: ' + e.message; }
  try {
    await fetch(${JSON.stringify(`${target}/api/checkout`)}, { method: 'POST', mode: 'no-cors' });
    results.api = 'sent';
  } catch (e) { results.api = 'blocked: ' + e.message; }
  return results;
};
</script>`;
}

describe.skipIf(!gate.ok)('a page of another origin cannot settle through the terminal', { timeout: 60_000 }, () => {
  let term: TerminalChild;
  let b: Browser;
  let evil: Server;
  let evilUrl: string;
  beforeAll(async () => {
    term = await startTerminal(['--terminal-id', 'XO01'], { MEDPOS_HW_VPCD: '' });
    const target = term.url.replace(/\/$/, '');
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostilePage(target)));
    await new Promise<void>((res) => evil.listen(0, '127.0.0.1', () => res()));
    const addr = evil.address();
    evilUrl = `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}/`;
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await new Promise<void>((res) => (evil ? evil.close(() => res()) : res()));
    await term?.stop();
    await killAll();
  });

  it('a text/plain form post and a fetch are refused; nothing is settled or written', async () => {
    await b.page.goto(evilUrl);
    const results = await b.page.evaluate(() => (window as unknown as { attack(): Promise<Record<string, unknown>> }).attack());
    expect(results.form).toBe('sent');
    expect(query(term.db, 'SELECT count(*) AS n FROM settlements')[0]).toEqual({ n: 0 });
    expect(query(term.db, 'SELECT count(*) AS n FROM messages')[0]).toEqual({ n: 0 });
    expect(query(term.db, 'SELECT count(*) AS n FROM visits')[0]).toEqual({ n: 0 });
    expect(results.fetch === 403 || String(results.fetch).startsWith('blocked')).toBe(true);
    const state = await (await fetch(`${term.url}api/checkout`)).json();
    expect(state).toBeNull(); // the page's API was not driven either: no checkout was opened
    // hospital software sending the same envelope (no Origin) settles: the origin was refused, not the body
    const direct = await post(`${term.url.replace(/\/$/, '')}${PATH}`, JSON.stringify(settlement('P440300000012026112010000003')), { 'content-type': 'text/plain' });
    expect(direct.json).toMatchObject({ infcode: 0, output: { setlinfo: { medfee_sumamt: 25 } } });
    expect(query(term.db, 'SELECT count(*) AS n FROM settlements')[0]).toEqual({ n: 1 });
  });
});
