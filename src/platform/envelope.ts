/** The platform's message envelope (settlement.md section 1). */
import { z } from 'zod';

export const MAX_REQUEST_BYTES = 1 << 20;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** Unknown envelope fields (dev_no, cainfo, signtype, ...) are accepted and kept for the log. */
export const requestEnvelope = z.looseObject({
  infno: z.string().regex(/^(\d{4}[A-Z]?|ec\.query)$/, 'must be a 4-digit transaction code (or ec.query)'),
  msgid: text(30),
  mdtrtarea_admvs: text(6).optional(),
  insuplc_admdvs: text(6).optional(),
  recer_sys_code: text(10).optional(),
  infver: text(10).optional(),
  opter_type: z.enum(['1', '2', '3', ''], { error: 'must be 1, 2 or 3' }).optional(),
  opter: text(30).optional(),
  opter_name: text(50).optional(),
  inf_time: text(30).optional(), // yyyy-MM-dd HH:mm:ss, or ISO (milliseconds and zone included)
  fixmedins_code: z.string().min(1, 'must not be empty').max(30),
  fixmedins_name: text(200).optional(),
  sign_no: text(30).optional(),
  // only "an object" here: each transaction's own schema checks its input, so it is not copied twice
  input: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object'),
});
export type RequestEnvelope = z.infer<typeof requestEnvelope>;

export interface ResponseEnvelope {
  infcode: 0 | -1;
  inf_refmsgid: string;
  refmsg_time: string;
  respond_time: string;
  err_msg: string | null;
  err_code?: string;
  output: unknown;
  /** medpos signs no answer: both are null on every envelope (clients read the keys). */
  signtype: string | null;
  cainfo: string | null;
}

/**
 * JSON with object keys sorted, so that equal bodies hash equal: what JSON.stringify writes with
 * every object's keys in code-unit order (undefined members left out, undefined in arrays as null).
 * Written out because a sorting replacer copies every object and costs more than the rest of the hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`;
  const o = value as Record<string, unknown>;
  let out = '';
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out += `${out ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

type Body = Pick<RequestEnvelope, 'infno' | 'fixmedins_code' | 'input'>;

/** What makes two messages with one msgid the same message (other envelope fields, such as inf_time, may differ). */
export function sameBody(a: Body, b: Body): boolean {
  return a.infno === b.infno && a.fixmedins_code === b.fixmedins_code && canonicalJson(a.input) === canonicalJson(b.input);
}

/** Does the input carry a psn_no anywhere (then insuplc_admdvs is required)? */
export function carriesPsnNo(value: unknown, depth = 0): boolean {
  if (depth > 4 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => carriesPsnNo(v, depth + 1));
  const o = value as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    if ((k === 'psn_no' && o[k] !== undefined && o[k] !== '') || carriesPsnNo(o[k], depth + 1)) return true;
  }
  return false;
}

/** "where: what" for the first few problems of a zod error. */
export function describeZodError(err: z.ZodError, prefix: string): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path].map((k, n) => (typeof k === 'number' ? `[${k}]` : n ? `.${String(k)}` : String(k))).join('')}: ${i.message}`)
    .join('; ');
}

/** The refusal when the ledger's database cannot be reached (nothing applied); the gateway answers it with HTTP 503. */
export const PLATFORM_UNAVAILABLE = 'platform_unavailable';
