/**
 * The platform's gateway over HTTP (clients.md section 3): `POST {base}` and `POST {base}/{infno}`,
 * one envelope per body, always an envelope back. A fastify plugin, so that `medpos terminal` and
 * `medpos serve` mount the same one. It owns what happens before the platform sees a request: the
 * body's charset, its size, the path form, and the signature (`--auth`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import iconv from 'iconv-lite';
import { MAX_REQUEST_BYTES, PLATFORM_UNAVAILABLE, type ResponseEnvelope } from './envelope.ts';
import { LedgerUnavailable } from '../ledger/types.ts';
import { AuthRefusal, verifySignature, type Credentials } from './auth.ts';

export const CALL_SERVICE_PATH = '/fsi/api/rsfComIfsService/callService';

export interface GatewayOptions {
  /** The platform: a parsed envelope (or the raw text when it is not JSON) in, an envelope out. */
  call: (request: unknown) => ResponseEnvelope | Promise<ResponseEnvelope>;
  /** Records a signed request's nonce; false when it was seen in the last 600 s (shared through the database). */
  claimNonce: (paasid: string, nonce: string, atUnixSeconds: number) => boolean | Promise<boolean>;
  /** A base path answered beside the national one (`--base-path`). */
  basePath?: string | undefined;
  /** With credentials, every request must be signed. */
  credentials?: Credentials | undefined;
  /** The real clock in Unix seconds (signatures are checked against it, never against MEDPOS_NOW). */
  nowSeconds?: () => number;
}

/** The paths the gateway answers: the national one, a `--base-path`, each also with `/{infno}`. */
export function gatewayPaths(basePath?: string): string[] {
  const bases = [CALL_SERVICE_PATH, ...(basePath && basePath !== CALL_SERVICE_PATH ? [basePath] : [])];
  return bases.flatMap((b) => [b, `${b}/:infno`]);
}

/** Is this URL a gateway path (the only thing a remote caller may reach)? */
export function isGatewayUrl(url: string, basePath?: string): boolean {
  const path = url.split('?')[0]!;
  return [CALL_SERVICE_PATH, ...(basePath ? [basePath] : [])].some((b) => path === b || (path.startsWith(`${b}/`) && !path.slice(b.length + 1).includes('/')));
}

/** A base path as given on the command line: absolute, no trailing slash, plain characters. */
export function checkBasePath(p: string): string | undefined {
  const s = p.replace(/\/+$/, '');
  return /^(\/[0-9A-Za-z._~-]+)+$/.test(s) ? undefined : 'must be an absolute path such as /fsi/api/rsfComIfsService/callService';
}

const CHARSETS: Record<string, string> = { 'utf-8': 'utf8', utf8: 'utf8', gbk: 'gbk', gb2312: 'gb2312', gb18030: 'gb18030' };

/** The body as text, by the charset its content type declares (UTF-8 when none). */
function decodeBody(body: Buffer, contentType: string | undefined): string {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  const name = m ? m[1]!.toLowerCase() : 'utf-8';
  const enc = CHARSETS[name];
  if (!enc) throw new GatewayRefusal('unsupported_charset', `charset ${name.slice(0, 40)} is not supported: send utf-8, gbk, gb2312 or gb18030`);
  const text = enc === 'utf8' ? body.toString('utf8') : iconv.decode(body, enc);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

class GatewayRefusal extends Error {
  constructor(
    readonly err_code: string,
    message: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

/** yyyyMMddHHmmss and yyyyMMddHHmmssSSS in China Standard Time, of the real clock. */
function realStamp(): { compact: string; compactMs: string } {
  const iso = new Date(Date.now() + 8 * 3600_000).toISOString();
  const compact = iso.slice(0, 19).replace(/\D/g, '');
  return { compact, compactMs: `${compact}${iso.slice(20, 23)}` };
}

/** An envelope refusal made before the platform saw the request: nothing was written. */
export function gatewayRefusal(err_code: string, err_msg: string): ResponseEnvelope {
  const t = realStamp();
  return { infcode: -1, inf_refmsgid: `000000${t.compact}0000000000`, refmsg_time: t.compactMs, respond_time: t.compactMs, err_msg, err_code, output: null, signtype: null, cainfo: null };
}

function sendEnvelope(reply: FastifyReply, status: number, env: ResponseEnvelope) {
  // a caller (or its load balancer) must tell "try again later" from a refusal by the platform's rules
  if (env.err_code === PLATFORM_UNAVAILABLE) status = 503;
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(env));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Registers the gateway in its own scope (its body parser reads every content type as bytes). */
export async function gateway(scope: FastifyInstance, opts: GatewayOptions): Promise<void> {
  const now = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES + 1 }, (_req, body, done) => done(null, body));
  let oversized: string | undefined;
  scope.setErrorHandler(async (err: unknown, req, reply) => {
    const e = err as { code?: string; message?: string };
    if (opts.credentials) {
      // an unsigned caller learns nothing and leaves nothing, not even a refused attempt
      try {
        verifySignature(req.headers, opts.credentials, now());
      } catch (authErr) {
        if (authErr instanceof AuthRefusal) return sendEnvelope(reply, 401, gatewayRefusal(authErr.err_code, authErr.message));
        throw authErr;
      }
    }
    // Bodies past the bound are not read to the end: the platform's own too_large refusal answers.
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendEnvelope(reply, 200, await opts.call((oversized ??= ' '.repeat(MAX_REQUEST_BYTES + 1))));
    return sendEnvelope(reply, 200, await opts.call(''));
  });

  const handle = async (req: FastifyRequest<{ Params: { infno?: string } }>, reply: FastifyReply) => {
    try {
      const signer = opts.credentials ? verifySignature(req.headers, opts.credentials, now()) : undefined;
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const text = decodeBody(body, req.headers['content-type']);
      let request: unknown = text;
      if (Buffer.byteLength(text) <= MAX_REQUEST_BYTES) {
        try {
          request = JSON.parse(text);
        } catch {
          request = text; // the platform answers malformed_json, with the parser's words
        }
      }
      const pathInfno = req.params.infno;
      if (pathInfno !== undefined && isObject(request) && request.infno !== pathInfno) {
        throw new GatewayRefusal('malformed_envelope', `the path names transaction ${pathInfno.slice(0, 20)} but envelope.infno is ${String(request.infno).slice(0, 20)}`);
      }
      if (signer) {
        const code = isObject(request) ? request.fixmedins_code : undefined;
        if (typeof code === 'string' && code !== signer.credential.fixmedins_code) {
          throw new AuthRefusal('wrong_institution', `paasid ${signer.credential.paasid} signs for institution ${signer.credential.fixmedins_code}, not ${code.slice(0, 30)}`);
        }
        if (signer.nonce !== undefined && !(await opts.claimNonce(signer.credential.paasid, signer.nonce, now()))) {
          throw new AuthRefusal('nonce_reused', 'x-tif-nonce was already used in the last 10 minutes');
        }
      }
      return sendEnvelope(reply, 200, await opts.call(request));
    } catch (err) {
      if (err instanceof AuthRefusal) return sendEnvelope(reply, 401, gatewayRefusal(err.err_code, err.message));
      if (err instanceof GatewayRefusal) return sendEnvelope(reply, err.status, gatewayRefusal(err.err_code, err.message));
      if (err instanceof LedgerUnavailable) return sendEnvelope(reply, 503, gatewayRefusal(PLATFORM_UNAVAILABLE, '医保平台暂不可用 (the ledger database cannot be reached): send the request again later'));
      throw err;
    }
  };
  for (const path of gatewayPaths(opts.basePath)) scope.post(path, handle);
}
