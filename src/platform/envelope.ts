/** The platform's message envelope (settlement.md section 1). */
import { createHash } from 'node:crypto';
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
  opter_type: z.enum(['1', '2', '3']).optional(),
  opter: text(30).optional(),
  opter_name: text(50).optional(),
  inf_time: text(19).optional(),
  fixmedins_code: z.string().min(1, 'must not be empty').max(30),
  fixmedins_name: text(200).optional(),
  sign_no: text(30).optional(),
  input: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
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
}

/** JSON with object keys sorted, so that equal bodies hash equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** What makes two messages with one msgid the same message. */
export function bodyHash(env: Pick<RequestEnvelope, 'infno' | 'fixmedins_code' | 'input'>): string {
  return createHash('sha256').update(canonicalJson({ infno: env.infno, fixmedins_code: env.fixmedins_code, input: env.input })).digest('hex');
}

/** Does the input carry a psn_no anywhere (then insuplc_admdvs is required)? */
export function carriesPsnNo(value: unknown, depth = 0): boolean {
  if (depth > 4 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => carriesPsnNo(v, depth + 1));
  return Object.entries(value).some(([k, v]) => (k === 'psn_no' && v !== undefined && v !== '') || carriesPsnNo(v, depth + 1));
}

/** "where: what" for the first few problems of a zod error. */
export function describeZodError(err: z.ZodError, prefix: string): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path].map((k, n) => (typeof k === 'number' ? `[${k}]` : n ? `.${String(k)}` : String(k))).join('')}: ${i.message}`)
    .join('; ');
}
