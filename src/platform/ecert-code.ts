/**
 * The simulated platform's e-certificate code format (pure: no I/O, no clock, no randomness of its own).
 *
 * A code is one line of printable ASCII, at most 256 characters:
 *
 *   MPEC1.<psn>.<iat>.<exp>.<nonce>.<sig>
 *
 * - `psn`   base64url (no padding) of the person number psn_no, UTF-8, 1..64 bytes, no control characters
 * - `iat`   base64url of the issue time, unix milliseconds as a 6-byte big-endian integer (8 characters)
 * - `exp`   base64url of the expiry time, same encoding (8 characters)
 * - `nonce` base64url of 8..32 random bytes chosen by the issuer
 * - `sig`   base64url of HMAC-SHA256(key, everything before the last '.'), 32 bytes (43 characters)
 *
 * The signature covers the exact text of the code, so changing any character of it, including a
 * base64url character whose low bits are padding, makes the code fail verification.
 *
 * Verification order: shape (ecert_malformed) → signature (ecert_tampered) → field contents
 * (ecert_malformed; reachable only by the key holder) → time (ecert_expired). `verifyCode` never throws.
 * Single use and the ecToken are handled by the platform service, not here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ECERT_PREFIX = 'MPEC1.';
export const ECERT_MAX_LENGTH = 256;
export const ECERT_DEFAULT_TTL_SECONDS = 60;
/** A code whose issue time is further than this in the future is not yet valid. */
export const ECERT_MAX_CLOCK_SKEW_MS = 60_000;
export const ECERT_MIN_KEY_BYTES = 16;

const MAX_PSN_BYTES = 64;
const MIN_NONCE_BYTES = 8;
const MAX_NONCE_BYTES = 32;
const TIME_BYTES = 6;
const SIG_BYTES = 32;
const MAX_TIME_MS = 2 ** (8 * TIME_BYTES) - 1;

const b64Len = (bytes: number): number => Math.ceil((bytes * 4) / 3);
const B64URL = '[A-Za-z0-9_-]';

/** The whole shape, checked before anything is decoded. */
const CODE_RE = new RegExp(
  `^MPEC1\\.(${B64URL}{2,${b64Len(MAX_PSN_BYTES)}})\\.(${B64URL}{${b64Len(TIME_BYTES)}})\\.(${B64URL}{${b64Len(TIME_BYTES)}})` +
    `\\.(${B64URL}{${b64Len(MIN_NONCE_BYTES)},${b64Len(MAX_NONCE_BYTES)}})\\.(${B64URL}{${b64Len(SIG_BYTES)}})$`,
);

const CodeTextSchema = z
  .string()
  .max(ECERT_MAX_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'not printable ASCII')
  .regex(CODE_RE, 'not an MPEC1 code');

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const PsnNoSchema = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_PSN_BYTES, `psnNo is longer than ${MAX_PSN_BYTES} bytes`)
  .refine((s) => !CONTROL_RE.test(s), 'psnNo contains control characters')
  .refine((s) => Buffer.from(s, 'utf8').toString('utf8') === s, 'psnNo is not well-formed Unicode');

const IssueInputSchema = z
  .object({
    psnNo: PsnNoSchema,
    issuedAt: z.date().refine((d) => Number.isFinite(d.getTime()) && d.getTime() >= 0, 'issuedAt is not a valid date'),
    ttlSeconds: z.number().int().positive().max(366 * 24 * 3600),
    key: z.instanceof(Buffer).refine((b) => b.length >= ECERT_MIN_KEY_BYTES, `key must be at least ${ECERT_MIN_KEY_BYTES} bytes`),
    nonce: z
      .instanceof(Buffer)
      .refine((b) => b.length >= MIN_NONCE_BYTES && b.length <= MAX_NONCE_BYTES, `nonce must be ${MIN_NONCE_BYTES}..${MAX_NONCE_BYTES} bytes`),
  })
  .strict();

export type IssueCodeInput = z.input<typeof IssueInputSchema>;

export type EcertErrCode = 'ecert_malformed' | 'ecert_tampered' | 'ecert_expired';

export type VerifyCodeResult =
  | { ok: true; psnNo: string; issuedAt: Date; expiresAt: Date; nonce: Buffer }
  | { ok: false; err_code: EcertErrCode; message: string };

function encodeTime(ms: number): string {
  const b = Buffer.alloc(TIME_BYTES);
  b.writeUIntBE(ms, 0, TIME_BYTES);
  return b.toString('base64url');
}

/** Strict base64url decoding: the text must be the canonical encoding of the bytes. */
function decodeCanonical(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function sign(signed: string, key: Buffer): string {
  return createHmac('sha256', key).update(signed, 'ascii').digest('base64url');
}

/**
 * Issues a code. Throws (a ZodError) only for programmer errors: a bad psnNo, key, nonce, ttl or date,
 * or an expiry beyond the 6-byte time field.
 */
export function issueCode(input: IssueCodeInput): string {
  const { psnNo, issuedAt, ttlSeconds, key, nonce } = IssueInputSchema.parse(input);
  const iat = issuedAt.getTime();
  const exp = iat + ttlSeconds * 1000;
  if (exp > MAX_TIME_MS) throw new RangeError('expiry does not fit the code format');
  const signed = [
    ECERT_PREFIX.slice(0, -1),
    Buffer.from(psnNo, 'utf8').toString('base64url'),
    encodeTime(iat),
    encodeTime(exp),
    nonce.toString('base64url'),
  ].join('.');
  const code = `${signed}.${sign(signed, key)}`;
  // The bounds above guarantee this; keep the invariant checked.
  if (code.length > ECERT_MAX_LENGTH) throw new RangeError('code longer than 256 characters');
  return code;
}

/** True when the text has the shape of an e-certificate code (no key needed; says nothing of validity). */
export function looksLikeEcertCode(text: unknown): boolean {
  return CodeTextSchema.safeParse(text).success;
}

const malformed = (message: string): VerifyCodeResult => ({ ok: false, err_code: 'ecert_malformed', message });

/** Verifies a code with the platform key at time `now`. Never throws. */
export function verifyCode(code: unknown, key: Buffer, now: Date): VerifyCodeResult {
  try {
    return verifyUnsafe(code, key, now);
  } catch (err) {
    // Defensive: nothing below is expected to throw, but a verifier must never crash its caller.
    return malformed(`code could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function verifyUnsafe(code: unknown, key: Buffer, now: Date): VerifyCodeResult {
  if (typeof code !== 'string') return malformed('code is not text');
  if (code.length === 0) return malformed('code is empty');
  if (code.length > ECERT_MAX_LENGTH) return malformed(`code is longer than ${ECERT_MAX_LENGTH} characters`);
  const shape = CodeTextSchema.safeParse(code);
  if (!shape.success) {
    return malformed(code.startsWith(ECERT_PREFIX) ? 'code does not have the MPEC1 field layout' : 'not an e-certificate code');
  }
  if (!Buffer.isBuffer(key) || key.length < ECERT_MIN_KEY_BYTES) {
    // A configuration fault, not the patient's: report it as unverifiable rather than throwing.
    return { ok: false, err_code: 'ecert_tampered', message: 'the platform key is not usable; the signature cannot be checked' };
  }
  const cut = code.lastIndexOf('.');
  const signed = code.slice(0, cut);
  const given = Buffer.from(code.slice(cut + 1), 'ascii');
  const expected = Buffer.from(sign(signed, key), 'ascii');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, err_code: 'ecert_tampered', message: 'the code signature does not verify' };
  }

  const [, psnText, iatText, expText, nonceText] = signed.split('.') as [string, string, string, string, string];
  const psnBytes = decodeCanonical(psnText);
  const iatBytes = decodeCanonical(iatText);
  const expBytes = decodeCanonical(expText);
  const nonce = decodeCanonical(nonceText);
  if (!psnBytes || !iatBytes || !expBytes || !nonce) return malformed('a field is not canonical base64url');
  if (iatBytes.length !== TIME_BYTES || expBytes.length !== TIME_BYTES) return malformed('a time field has the wrong size');
  if (nonce.length < MIN_NONCE_BYTES || nonce.length > MAX_NONCE_BYTES) return malformed('the nonce has the wrong size');
  let psnNo: string;
  try {
    psnNo = new TextDecoder('utf-8', { fatal: true }).decode(psnBytes);
  } catch {
    return malformed('psn_no is not UTF-8');
  }
  if (!PsnNoSchema.safeParse(psnNo).success) return malformed('psn_no is not valid');
  const iat = iatBytes.readUIntBE(0, TIME_BYTES);
  const exp = expBytes.readUIntBE(0, TIME_BYTES);
  if (exp <= iat) return malformed('the code expires before it is issued');

  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) return malformed('the verification time is not a valid date');
  if (nowMs >= exp) {
    return { ok: false, err_code: 'ecert_expired', message: `the code expired at ${new Date(exp).toISOString()}` };
  }
  if (iat - nowMs > ECERT_MAX_CLOCK_SKEW_MS) {
    return { ok: false, err_code: 'ecert_expired', message: 'the code is not valid yet (issued in the future)' };
  }
  return { ok: true, psnNo, issuedAt: new Date(iat), expiresAt: new Date(exp), nonce };
}
