/** The pieces the transactions' wire schemas are made of (clients.md section 2). */
import { z } from 'zod';
import { wireCount, wireNumberBounds, wireDecimal4 as decimal4, wireNonNegativeYuan as nonNegativeYuan, wireYuan as yuan } from '../../core/money.ts';

export { decimal4, nonNegativeYuan, wireCount, yuan };

export const MAX_LINES = 1000;

export const id = (max = 30) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
export const opt = (max = 200) => z.string().max(max, `must be at most ${max} characters`).optional();
export const flag = z.enum(['0', '1'], { error: 'must be "0" or "1"' });
/**
 * An optional field a client may send blank (""): the wire schema accepts "", `parseInput` then drops
 * it, so the type is what handlers see. A bad value is refused with the field's own message.
 */
export const blankable = <T extends z.ZodType>(schema: T) =>
  z
    .union([z.literal(''), schema], { error: (iss) => (iss.code === 'invalid_union' ? iss.errors[1]?.[0]?.message : undefined) })
    .optional() as unknown as z.ZodOptional<T>;
/** A time as clients send it (yyyy-MM-dd HH:mm:ss, ISO yyyy-MM-ddTHH:mm:ss, or a bare date), kept as yyyy-MM-dd HH:mm:ss. */
export const time = z
  .string()
  .regex(/^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,3})?)?)?$/, 'must be yyyy-MM-dd HH:mm:ss, yyyy-MM-ddTHH:mm:ss or yyyy-MM-dd')
  .overwrite((s) => (s === '' ? s : s.length === 10 ? `${s} 00:00:00` : `${s.slice(0, 10)} ${s.slice(11, 19)}`))
  .optional();
export const certType = z.enum(['01', '02', '03'], { error: 'must be 01 (e-certificate), 02 (ID card) or 03 (social-security card)' });
export const insutype = z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype');
export const medType = z.string().regex(/^\d{2,6}$/, 'must be a med_type code');
export const dateOrTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,3})?)?$/, 'must be yyyy-MM-dd, yyyy-MM-dd HH:mm:ss or yyyy-MM-ddTHH:mm:ss')
  .overwrite((s) => s.slice(0, 10));
export const lines = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must have at least one line').max(MAX_LINES, `must have at most ${MAX_LINES} lines`);

export const feeLine = {
  feedetl_sn: id(30),
  med_list_codg: id(50),
  medins_list_codg: opt(150),
  det_item_fee_sumamt: yuan,
  cnt: decimal4,
  pric: decimal4,
  hosp_appr_flag: blankable(z.enum(['0', '1', '2'], { error: 'must be "0", "1" or "2"' })),
  chrg_bchno: opt(30),
  fee_ocur_time: time,
};

export const certFields = {
  mdtrt_cert_type: certType,
  mdtrt_cert_no: id(64),
  card_sn: opt(32),
};


/**
 * A whole count within bounds the check cannot give the JSON Schema by itself: the refinement holds in
 * zod, and `pattern` (the string form) with the number bounds says the same in the generated schema.
 */
export const count = (min: number, max: number, message: string, pattern: string) =>
  wireCount
    .refine((n) => n >= min && n <= max, message)
    .meta({ anyOf: [{ type: 'number', ...wireNumberBounds(1, min, max) }, { type: 'string', pattern }] });
