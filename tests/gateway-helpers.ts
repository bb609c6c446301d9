/**
 * The gateway over real HTTP for tests: the fastify plugin and the browser guard on a free port,
 * over a real SQLite file holding a world, and a raw HTTP client that may set any header (Host too).
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { FixedClock, localDate } from '../src/core/clock.ts';
import { parseWorld, readWorldFiles } from '../src/core/world.ts';
import { SqliteLedger } from '../src/ledger/sqlite.ts';
import { createPlatform } from '../src/app.ts';
import { newPlatformKey } from '../src/platform/ecert.ts';
import type { Credentials } from '../src/platform/auth.ts';
import { guardBrowserCalls } from '../src/platform/browser-guard.ts';
import { CALL_SERVICE_PATH, gateway, isGatewayUrl } from '../src/platform/gateway.ts';

export interface GatewayServer {
  url: string;
  port: number;
  db: string;
  ledger: SqliteLedger;
  close(): Promise<void>;
}

/** A fresh database file (made from the world unless `db` names one already made) served by the gateway. */
export async function startGateway(o: { world?: string; db?: string; credentials?: Credentials; basePath?: string; allowOrigins?: string[]; now?: string } = {}): Promise<GatewayServer> {
  const clock = new FixedClock(o.now ?? '2026-11-20T10:00:00+08:00');
  const db = o.db ?? join(mkdtempSync(join(tmpdir(), 'medpos-gw-')), 'gw.db');
  const ledger = new SqliteLedger(db);
  if (!ledger.hasWorld()) {
    const raw = readWorldFiles(o.world ?? 'fixtures/worlds/demo');
    await ledger.loadWorld(raw, parseWorld(raw), Number(localDate(clock).slice(0, 4)), newPlatformKey());
  }
  const platform = createPlatform(ledger, clock);
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  guardBrowserCalls(app, { allowOrigins: o.allowOrigins ?? [], host: '127.0.0.1', remoteAllowed: (u) => isGatewayUrl(u, o.basePath) });
  await app.register(gateway, {
    call: (r: unknown) => platform.call(r),
    claimNonce: (p: string, n: string, at: number) => ledger.transaction((tx) => tx.claimNonce(p, n, at)),
    credentials: o.credentials,
    basePath: o.basePath,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}${CALL_SERVICE_PATH}`,
    port,
    db,
    ledger,
    close: async () => {
      await app.close();
      await ledger.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, any>;
}

/** POSTs bytes with exactly the headers given (content-type defaults to application/json). */
export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  const u = new URL(url);
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, any> = {};
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON: the test looks at text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
