/**
 * What the terminal exposes: a non-loopback address needs --auth (or --insecure), --tester stays on
 * loopback, tester endpoints exist only with --tester, and a caller from another address reaches the
 * gateway only, signed.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tifSignature } from '../../src/platform/auth.ts';
import { post } from '../gateway-helpers.ts';
import { BIN, DEMO, killAll, ROOT, startTerminal } from './helpers.ts';

afterAll(() => killAll());

function refusedStart(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'medpos-exposure-'));
  const r = spawnSync(process.execPath, [BIN, 'terminal', '--db', join(dir, 'x.db'), '--world', DEMO, '--port', '0', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** An address of this machine that is not loopback, to call from as "another machine" would. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

describe('terminal exposure', { timeout: 60_000 }, () => {
  it('refuses a non-loopback address without --auth (naming it), and --tester off loopback', () => {
    const open = refusedStart(['--host', '0.0.0.0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--auth');
    expect(open.stdout).toBe('');
    const tester = refusedStart(['--host', '0.0.0.0', '--insecure', '--tester']);
    expect(tester.code).toBe(2);
    expect(tester.stderr).toContain('--tester');
    expect(refusedStart(['--allow-origin', 'javascript:alert(1)']).stderr).toContain('--allow-origin');
  });

  it('has no tester endpoints without --tester', async () => {
    const t = await startTerminal(['--terminal-id', 'EX01'], { MEDPOS_HW_VPCD: '' });
    try {
      for (const [method, path] of [['GET', '/api/virtual'], ['POST', '/api/virtual/card'], ['POST', '/api/virtual/scan'], ['POST', '/api/tester/clock']] as const) {
        const r = await fetch(`${t.url}${path.slice(1)}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
        expect(r.status, path).toBe(404);
      }
    } finally {
      await t.stop();
    }
  });

  const ext = externalAddress();
  it.skipIf(!ext)(`a caller from another address reaches the gateway only, signed${ext ? '' : ' (skipped: this machine has no non-loopback IPv4 address)'}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medpos-auth-'));
    const secret = randomBytes(16).toString('hex');
    const auth = join(dir, 'auth.json');
    writeFileSync(auth, JSON.stringify({ credentials: [{ fixmedins_code: 'P44030000001', paasid: 'pos_lab', secret }] }));
    const t = await startTerminal(['--host', '0.0.0.0', '--auth', auth, '--terminal-id', 'EX02'], { MEDPOS_HW_VPCD: '', MEDPOS_LOG_LEVEL: 'debug' });
    try {
      const port = new URL(t.url).port;
      const remote = `http://${ext}:${port}`;
      const state = await fetch(`${remote}/api/state`);
      expect(state.status).toBe(403);
      expect(await state.json()).toMatchObject({ err_code: 'local_only' });
      expect((await fetch(`${remote}/`)).status).toBe(403);
      const body = JSON.stringify({ infno: '9001', msgid: 'P440300000012026112010009001', fixmedins_code: 'P44030000001', input: { signIn: { opter_no: 'D01' } } });
      const unsigned = await post(`${remote}/fsi/api/rsfComIfsService/callService`, body);
      expect(unsigned.status).toBe(401);
      expect(unsigned.json).toMatchObject({ err_code: 'unauthenticated' });
      const ts = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(8).toString('hex');
      const signed = await post(`${remote}/fsi/api/rsfComIfsService/callService`, body, { 'x-tif-paasid': 'pos_lab', 'x-tif-timestamp': ts, 'x-tif-nonce': nonce, 'x-tif-signature': tifSignature(ts, secret, nonce) });
      expect(signed.json).toMatchObject({ infcode: 0 });
      // the page's own routes still answer on loopback
      expect((await fetch(`http://127.0.0.1:${port}/api/state`)).status).toBe(200);
      expect(t.stderr()).not.toContain(secret);
    } finally {
      await t.stop();
    }
  });
});
