/**
 * The remote platform client on real sockets: what counts as "unreachable" (the caller must send
 * the same msgid again) and what is an answer (an envelope, whatever its HTTP status), and the TIF
 * headers it signs with, checked by the gateway's own verifier.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsFrom, verifySignature } from '../../src/platform/auth.ts';
import { CALL_SERVICE_PATH } from '../../src/platform/gateway.ts';
import { PlatformUnavailable, RemotePlatform } from '../../src/terminal/platform-client.ts';

const ENV = { infno: '9001', msgid: 'P4403000000120261120100000AB12', fixmedins_code: 'P44030000001', input: { signIn: { opter_no: 'C001' } } };
const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<string> {
  const s = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  servers.push(s);
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((res) => s.close(() => res()));
  }
});

describe('RemotePlatform', () => {
  it('posts the envelope to the gateway path, TIF-signed for the institution, and returns the answer whatever its status', async () => {
    const creds = credentialsFrom({ credentials: [{ fixmedins_code: 'P44030000001', paasid: 'pos-p1', secret: 's3cret-value' }] });
    let seen: { path: string | undefined; body: unknown; signer: string } | undefined;
    const url = await serve((req, body, res) => {
      let signer = 'refused';
      try {
        signer = verifySignature(req.headers, creds, Math.floor(Date.now() / 1000)).credential.paasid;
      } catch {
        // the assertion below says so
      }
      seen = { path: req.url, body: JSON.parse(body), signer };
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ infcode: -1, err_code: 'not_signed_in', err_msg: 'no', output: null }));
    });
    const answer = await new RemotePlatform(url, creds).call(ENV);
    expect(seen).toEqual({ path: CALL_SERVICE_PATH, body: ENV, signer: 'pos-p1' });
    expect(answer).toMatchObject({ infcode: -1, err_code: 'not_signed_in' });
  });

  it('takes a 503 (platform_unavailable), a refused connection and no answer in time as unreachable', async () => {
    const busy = await serve((_req, _body, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ infcode: -1, err_code: 'platform_unavailable', err_msg: 'database down', output: null }));
    });
    await expect(new RemotePlatform(busy, undefined).call(ENV)).rejects.toBeInstanceOf(PlatformUnavailable);
    const silent = await serve(() => {}); // reads the request, never answers
    await expect(new RemotePlatform(silent, undefined, 300).call(ENV)).rejects.toBeInstanceOf(PlatformUnavailable);
    const gone = await serve(() => {});
    servers.pop()!.close();
    await expect(new RemotePlatform(gone, undefined).call(ENV)).rejects.toThrow(/did not answer/);
  });
});
