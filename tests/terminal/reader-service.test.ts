/**
 * The local card service (`/reader`) of `medpos terminal`, through pcscd and vpcd with a virtual card
 * (the harness, scripts/hw/with-pcscd.sh) on a world that asks for the PIN: no card, the PIN asked for,
 * a wrong PIN, the identity as JSON and as the vendor library's string, a blocked card, a checkout
 * owning the card; then from a hospital page of another origin in Chromium, allowed with --allow-origin,
 * and from one that is not allowed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPipe } from '../../src/drivers/card/index.ts';
import { hwGate } from '../drivers/card-helpers.ts';
import { browserGate, DEMO, killAll, launchBrowser, startTerminal, type Browser, type TerminalChild } from './helpers.ts';

const hw = hwGate();
const gate = browserGate();
if (!hw.ok) console.warn(`local card service tests skipped: ${hw.reason}`);
if (!hw.ok && hw.required) {
  describe('local card service (MEDPOS_HW=required)', () => {
    it('has the PC/SC harness', () => {
      throw new Error(`MEDPOS_HW=required but ${hw.reason}`);
    });
  });
}

const CARDS = JSON.parse(readFileSync(join(DEMO, 'cards.json'), 'utf8')) as { card_no: string; card_sn: string; pin: string }[];
const LIU = CARDS.find((c) => c.card_no === 'A00000006')!;
const OTHER = CARDS.find((c) => c.card_no === 'A00000008')!;

/** A page of hospital software served from its own origin, reading the card through the service. */
function hisPage(target: string, pin: string): string {
  return `<!doctype html><meta charset="utf-8"><title>HIS</title><script>
window.readCard = async () => {
  const out = {};
  try {
    const pinRes = await fetch(${JSON.stringify(`${target}/reader/pin`)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pin: ${JSON.stringify(pin)} }) });
    out.pin = pinRes.status;
    const card = await fetch(${JSON.stringify(`${target}/reader/card`)});
    out.card = { status: card.status, body: await card.json() };
    const bas = await fetch(${JSON.stringify(`${target}/reader/ReadCardBas`)});
    out.bas = { status: bas.status, type: bas.headers.get('content-type'), text: await bas.text() };
  } catch (e) { out.error = 'blocked: ' + e.message; }
  return out;
};
</script>`;
}

describe.skipIf(!hw.ok)('the local card service through pcscd and vpcd', { timeout: 120_000 }, () => {
  let term: TerminalChild;
  let pcscdName: string | undefined;
  let dir: string;
  const servers: Server[] = [];
  let hisOrigin = '';
  let otherOrigin = '';
  const env: NodeJS.ProcessEnv = {};

  const serve = async (body: (target: string) => string): Promise<string> => {
    const s = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body(term.url.replace(/\/$/, ''))));
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
    servers.push(s);
    const a = s.address();
    return `http://localhost:${typeof a === 'object' && a ? a.port : 0}`;
  };
  const reader = async (path: string, init?: RequestInit) => {
    const r = await fetch(`${term.url}reader/${path}`, init);
    const type = r.headers.get('content-type') ?? '';
    return { status: r.status, type, body: type.includes('json') ? ((await r.json()) as any) : await r.text() };
  };
  const pin = (p: string) => reader('pin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pin: p }) });
  const api = async (path: string, body?: unknown) => {
    const r = await fetch(`${term.url}api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    return { status: r.status, body: (await r.json()) as any };
  };
  const insert = async (cardNo: string) => expect((await api('virtual/card', { card_no: cardNo })).status).toBe(200);

  beforeAll(async () => {
    if (!hw.ok) return;
    pcscdName = `reader-svc-${process.pid}`;
    const port = String(36_900 + (process.pid % 50) * 2);
    const r = spawnSync('bash', [hw.ctl, 'start', pcscdName, '--port', port], { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`pcscd-ctl start failed: ${r.stderr}`);
    for (const l of r.stdout.split('\n')) {
      const i = l.indexOf('=');
      if (i > 0 && ['PCSCLITE_CSOCK_NAME', 'MEDPOS_HW_VPCD'].includes(l.slice(0, i))) env[l.slice(0, i)] = l.slice(i + 1);
    }
    // the demo world, asking for the card PIN
    dir = mkdtempSync(join(tmpdir(), 'medpos-reader-svc-'));
    cpSync(DEMO, join(dir, 'world'), { recursive: true });
    const wf = join(dir, 'world', 'world.json');
    const w = JSON.parse(readFileSync(wf, 'utf8'));
    w.policy.card_pin_required = true;
    writeFileSync(wf, JSON.stringify(w));
    // the page servers are made first, so their origins can be allowed; they answer once the terminal is up
    hisOrigin = await serve((target) => hisPage(target, LIU.pin));
    otherOrigin = await serve((target) => hisPage(target, LIU.pin));
    term = await startTerminal(['--world', join(dir, 'world'), '--tester', '--terminal-id', 'RS01', '--reader', 'Virtual PCD 00 00', '--allow-origin', hisOrigin], env);
  });

  afterAll(async () => {
    for (const s of servers) await new Promise<void>((res) => s.close(() => res()));
    await term?.stop();
    if (pcscdName && hw.ok) spawnSync('bash', [hw.ctl, 'stop', pcscdName], { timeout: 20_000 });
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 no_card with no card, 401 pin_required before the PIN, 401 pin_wrong for a wrong one', async () => {
    expect((await reader('status')).body).toMatchObject({ card_present: false, pin_required: true, pin_given: false, in_use: false });
    expect(await reader('card')).toMatchObject({ status: 404, body: { err_code: 'no_card' } });
    expect(await reader('ReadCardBas')).toMatchObject({ status: 404, body: { err_code: 'no_card' } });
    await insert(LIU.card_no);
    expect((await reader('status')).body).toMatchObject({ card_present: true, pin_given: false });
    expect(await reader('card')).toMatchObject({ status: 401, body: { err_code: 'pin_required' } });
    expect(await pin('12345')).toMatchObject({ status: 400, body: { err_code: 'malformed_input' } });
    expect(await pin(LIU.pin === '000000' ? '111111' : '000000')).toMatchObject({ status: 401, body: { err_code: 'pin_wrong' } });
  });

  it('gives the identity as JSON and as the vendor library’s | string once the PIN is given', async () => {
    expect(await pin(LIU.pin)).toMatchObject({ status: 200, body: { pin_given: true } });
    const card = await reader('card');
    expect(card.status).toBe(200);
    expect(card.body).toMatchObject({ card_no: LIU.card_no, card_sn: LIU.card_sn, certno: '44030619900218071X' });
    const bas = await reader('ReadCardBas');
    expect(bas.status).toBe(200);
    expect(bas.type).toContain('text/plain');
    // what `medpos card read --format pipe` prints for that identity: region | SSN | card no | card id | name | ...
    expect(bas.body).toBe(formatPipe(card.body));
    expect((bas.body as string).split('|').slice(1, 4)).toEqual(['44030619900218071X', LIU.card_no, LIU.card_sn]);
    expect(JSON.stringify(await reader('status'))).not.toContain(LIU.pin); // the PIN is never told back
  });

  it('answers 409 card_in_use while an open checkout owns the card, and reads again once it is voided', async () => {
    expect((await api('signin', { opter_no: 'C001', opter_name: '收银甲' })).status).toBe(200);
    expect((await api('checkout')).status).toBe(200);
    await insert(LIU.card_no); // a checkout takes only a card inserted after it began
    expect((await api('checkout/identify', { method: 'card', pin: LIU.pin })).status).toBe(200);
    expect(await reader('card')).toMatchObject({ status: 409, body: { err_code: 'card_in_use' } });
    expect(await reader('ReadCardBas')).toMatchObject({ status: 409, body: { err_code: 'card_in_use' } });
    expect((await reader('status')).body).toMatchObject({ in_use: true });
    expect((await api('checkout/void')).status).toBe(200);
    // the card was inserted again for the checkout: the PIN given before was for the earlier insertion
    expect(await reader('card')).toMatchObject({ status: 401, body: { err_code: 'pin_required' } });
    expect((await pin(LIU.pin)).status).toBe(200);
    expect(await reader('card')).toMatchObject({ status: 200, body: { card_no: LIU.card_no } });
  });

  it('answers 423 card_blocked for a card blocked by wrong PINs, and forgets a PIN when its card leaves', async () => {
    await insert(OTHER.card_no);
    expect(await reader('card')).toMatchObject({ status: 401, body: { err_code: 'pin_required' } }); // LIU's PIN was for LIU's card
    const wrong = OTHER.pin === '000000' ? '111111' : '000000';
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push((await pin(wrong)).body.err_code);
    expect(answers.slice(0, 2)).toEqual(['pin_wrong', 'pin_wrong']);
    expect(answers.at(-1)).toBe('card_blocked');
    expect(await pin(OTHER.pin)).toMatchObject({ status: 423, body: { err_code: 'card_blocked' } });
  });

  it.skipIf(!gate.ok)('serves a hospital page of an allowed origin in Chromium, and refuses one of another origin', async () => {
    await insert(LIU.card_no);
    let b: Browser | undefined;
    try {
      b = await launchBrowser();
      await b.page.goto(`${hisOrigin}/`);
      const ok = await b.page.evaluate(() => (window as unknown as { readCard(): Promise<any> }).readCard());
      expect(ok.pin).toBe(200);
      expect(ok.card).toMatchObject({ status: 200, body: { card_no: LIU.card_no } });
      expect(ok.bas.status).toBe(200);
      expect(ok.bas.type).toContain('text/plain');
      expect(ok.bas.text.split('|')[2]).toBe(LIU.card_no);
      await b.page.goto(`${otherOrigin}/`);
      const refused = await b.page.evaluate(() => (window as unknown as { readCard(): Promise<any> }).readCard());
      expect(refused.error).toMatch(/^blocked/);
      // the refusal is the server's, not only the browser's: 403 origin_refused to that Origin
      const direct = await fetch(`${term.url}reader/card`, { headers: { origin: otherOrigin } });
      expect(direct.status).toBe(403);
      expect(((await direct.json()) as { err_code: string }).err_code).toBe('origin_refused');
    } finally {
      await b?.close();
    }
  });
});
