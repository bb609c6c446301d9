/**
 * No cross-site calls (issue 10 item 4): a web page the cashier happens to open must not reach
 * medpos. Every request is checked before any route or signature: its `Host` must be the address
 * medpos listens on or localhost (a rebinding DNS name cannot pose as the page), and a browser's
 * `Origin`, when sent, must be the page's own or one given with `--allow-origin`. Callers that are
 * not on this machine reach only what `remoteAllowed` lets through (the gateway path).
 */
import { networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { gatewayRefusal } from './gateway.ts';

export interface BrowserGuardOptions {
  /** Origins allowed besides the page's own, as `scheme://host[:port]`. */
  allowOrigins: readonly string[];
  /** The address medpos was told to listen on. */
  host: string;
  /** What a caller from another machine may reach; everything else answers loopback callers only. */
  remoteAllowed: (url: string) => boolean;
}

/** `--allow-origin` values (repeatable, or comma lists) as normalised origins; a bad one is named. */
export function parseOrigins(values: readonly string[]): { origins: string[]; problem?: string } {
  const origins: string[] = [];
  for (const v of values.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return { origins, problem: `--allow-origin ${v}: must be an origin such as http://his.example:8080` };
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname !== '/' || u.search || u.hash || u.username) {
      return { origins, problem: `--allow-origin ${v}: must be an origin such as http://his.example:8080 (scheme, host and port only)` };
    }
    origins.push(u.origin);
  }
  return { origins };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopbackAddress(addr: string | undefined): boolean {
  return addr !== undefined && LOOPBACK.test(addr);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

const bare = (h: string) => h.replace(/^\[|\]$/g, '').toLowerCase();

function refuse(reply: FastifyReply, err_code: string, err_msg: string) {
  return reply.code(403).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(gatewayRefusal(err_code, err_msg)));
}

export function guardBrowserCalls(app: FastifyInstance, opts: BrowserGuardOptions): void {
  const allowed = new Set(opts.allowOrigins);
  const names = new Set(['localhost', '127.0.0.1', '::1', bare(opts.host)]);
  if (isWildcard(opts.host)) {
    // bound to every interface: each of this machine's addresses is a listening address
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(bare(a.address));
  }

  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host ?? '';
    let hostname: string;
    try {
      hostname = bare(new URL(`http://${host}`).hostname);
    } catch {
      hostname = '';
    }
    const local = isLoopbackAddress(req.socket.remoteAddress);
    // A rebinding page runs in a browser on this machine: its requests come from loopback with a foreign Host.
    // Remote callers reach only the gateway, signed (a bound non-loopback address needs --auth), by any name.
    if (local && !names.has(hostname)) return refuse(reply, 'origin_refused', `Host ${host.slice(0, 100)} is not the address medpos listens on`);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const own = origin === `http://${host}`;
      if (!own && !allowed.has(origin)) return refuse(reply, 'origin_refused', `requests from ${origin.slice(0, 100)} are refused: allow the page's origin with --allow-origin`);
      if (!own) {
        reply.header('access-control-allow-origin', origin).header('vary', 'origin');
        if (req.method === 'OPTIONS') {
          const asked = req.headers['access-control-request-headers'];
          return reply
            .code(204)
            .header('access-control-allow-methods', 'GET, POST, PATCH, DELETE')
            .header('access-control-allow-headers', typeof asked === 'string' ? asked.slice(0, 1000) : 'content-type')
            .header('access-control-max-age', '600')
            .send();
        }
      }
    }
    if (!local && !opts.remoteAllowed(req.url)) {
      return refuse(reply, 'local_only', 'this route answers callers on this machine only; remote callers reach the gateway path');
    }
  });
}
