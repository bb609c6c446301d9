/**
 * Signed gateway requests (clients.md section 3, issue 11 item 5): the `--auth FILE` credentials and
 * the two schemes real HIS software uses. TIF: x-tif-* headers, signature = hex SHA-256 of
 * timestamp + secret + nonce + timestamp. CSB: _api_* headers, Base64 HMAC-SHA1 over the sorted
 * key=value pairs, no nonce. Secrets stay in this module: never logged, never echoed in a refusal.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../app.ts';
import { describeZodError } from './envelope.ts';

/** A signed request's timestamp must be within this many seconds of the machine's real clock. */
export const TIMESTAMP_WINDOW_S = 300;

const credential = z.strictObject({
  fixmedins_code: z.string().regex(/^[0-9A-Za-z]{1,30}$/, 'must be an institution code (fixmedins_code)'),
  paasid: z.string().min(1, 'must not be empty').max(100),
  secret: z.string().min(8, 'must be at least 8 characters').max(500),
  scheme: z.enum(['tif', 'csb'], { error: 'must be "tif" or "csb"' }).default('tif'),
});
const authFile = z.strictObject({ credentials: z.array(credential).min(1, 'must list at least one credential') });

export type Credential = z.output<typeof credential>;

/** Credentials by paasid. */
export type Credentials = ReadonlyMap<string, Credential>;

/** Reads and checks an `--auth` file; a problem names the field, never a secret's value. */
export function loadCredentials(path: string): Credentials {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--auth ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message.slice(0, 80)})`}`);
  }
  return credentialsFrom(raw, `--auth ${path}`);
}

export function credentialsFrom(raw: unknown, where = 'credentials'): Credentials {
  // zod's messages name paths and rules, not the values: a secret cannot leak into the error
  const r = authFile.safeParse(raw);
  if (!r.success) throw new UsageError(describeZodError(r.error, where));
  const byPaasid = new Map<string, Credential>();
  for (const c of r.data.credentials) {
    if (byPaasid.has(c.paasid)) throw new UsageError(`${where}: paasid ${c.paasid} is listed twice`);
    byPaasid.set(c.paasid, c);
  }
  return byPaasid;
}

export type AuthRefusalCode = 'unauthenticated' | 'stale_timestamp' | 'nonce_reused' | 'wrong_institution';

export class AuthRefusal extends Error {
  constructor(
    readonly err_code: AuthRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name]; // node lower-cases incoming header names: lookups are case-insensitive
  return Array.isArray(v) ? v[0] : v;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function tifSignature(timestamp: string, secret: string, nonce: string): string {
  return createHash('sha256').update(`${timestamp}${secret}${nonce}${timestamp}`, 'utf8').digest('hex');
}

export function csbSignature(secret: string, h: { accessKey: string; name: string; timestamp: string; version: string }): string {
  const text = `_api_access_key=${h.accessKey}&_api_name=${h.name}&_api_timestamp=${h.timestamp}&_api_version=${h.version}`;
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

/** Who signed a request, and the nonce to claim (TIF only). */
export interface Signer {
  credential: Credential;
  nonce: string | undefined;
}

/**
 * Checks a request's signature headers against the credentials and the real clock (seconds).
 * Throws AuthRefusal; the institution and the nonce are checked by the caller, which knows the envelope
 * and the shared nonce store.
 */
export function verifySignature(h: Headers, creds: Credentials, nowS: number): Signer {
  const tifPaasid = header(h, 'x-tif-paasid');
  if (tifPaasid !== undefined) {
    const ts = header(h, 'x-tif-timestamp');
    const nonce = header(h, 'x-tif-nonce');
    const sig = header(h, 'x-tif-signature');
    if (!ts || !nonce || !sig) throw new AuthRefusal('unauthenticated', 'a TIF-signed request needs x-tif-paasid, x-tif-timestamp, x-tif-nonce and x-tif-signature');
    const cred = creds.get(tifPaasid);
    if (!cred || cred.scheme !== 'tif' || !sameText(sig.toLowerCase(), tifSignature(ts, cred.secret, nonce))) {
      throw new AuthRefusal('unauthenticated', 'the signature does not match any credential (x-tif-paasid, x-tif-signature)');
    }
    checkTimestamp(ts, nowS, 'x-tif-timestamp');
    return { credential: cred, nonce };
  }
  const accessKey = header(h, '_api_access_key');
  if (accessKey !== undefined) {
    const name = header(h, '_api_name') ?? '';
    const version = header(h, '_api_version') ?? '';
    const ts = header(h, '_api_timestamp');
    const sig = header(h, '_api_signature');
    if (!ts || !sig) throw new AuthRefusal('unauthenticated', 'a CSB-signed request needs _api_access_key, _api_timestamp and _api_signature');
    const cred = creds.get(accessKey);
    if (!cred || cred.scheme !== 'csb' || !sameText(sig, csbSignature(cred.secret, { accessKey, name, timestamp: ts, version }))) {
      throw new AuthRefusal('unauthenticated', 'the signature does not match any credential (_api_access_key, _api_signature)');
    }
    checkTimestamp(ts, nowS, '_api_timestamp');
    return { credential: cred, nonce: undefined };
  }
  throw new AuthRefusal('unauthenticated', 'this gateway takes signed requests only: send the x-tif-* (or _api_*) signature headers');
}

function checkTimestamp(ts: string, nowS: number, name: string): void {
  if (!/^\d{1,16}$/.test(ts)) throw new AuthRefusal('stale_timestamp', `${name} must be Unix seconds`);
  const n = Number(ts);
  const seconds = n > 1e11 ? n / 1000 : n; // CSB senders may give milliseconds
  if (Math.abs(seconds - nowS) > TIMESTAMP_WINDOW_S) throw new AuthRefusal('stale_timestamp', `${name} is more than ${TIMESTAMP_WINDOW_S} s from the platform's clock`);
}
