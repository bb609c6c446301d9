/**
 * The `input` of each transaction (settlement.md section 2) as it travels on the wire (clients.md
 * section 2: amounts as numbers or decimal strings, blank optional fields, the time formats, the
 * upper-case variants). Fields medpos needs are checked; the platform's other optional fields are
 * accepted and kept, never required. `parseInput` validates with these schemas and then normalises
 * (blanks dropped, variant names folded), so the schemas alone say what is accepted.
 */
import { z } from 'zod';
import { Refusal } from '../core/settle.ts';
import { wireCount, wireNumberBounds, wireDecimal4 as decimal4, wireNonNegativeYuan as nonNegativeYuan, wireYuan as yuan } from '../core/money.ts';
import { describeZodError } from './envelope.ts';

export const MAX_LINES = 1000;

const id = (max = 30) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const opt = (max = 200) => z.string().max(max, `must be at most ${max} characters`).optional();
const flag = z.enum(['0', '1'], { error: 'must be "0" or "1"' });
/**
 * An optional field a client may send blank (""): the wire schema accepts "", `parseInput` then drops
 * it, so the type is what handlers see. A bad value is refused with the field's own message.
 */
const blankable = <T extends z.ZodType>(schema: T) =>
  z
    .union([z.literal(''), schema], { error: (iss) => (iss.code === 'invalid_union' ? iss.errors[1]?.[0]?.message : undefined) })
    .optional() as unknown as z.ZodOptional<T>;
/** A time as clients send it (yyyy-MM-dd HH:mm:ss, ISO yyyy-MM-ddTHH:mm:ss, or a bare date), kept as yyyy-MM-dd HH:mm:ss. */
const time = z
  .string()
  .regex(/^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,3})?)?)?$/, 'must be yyyy-MM-dd HH:mm:ss, yyyy-MM-ddTHH:mm:ss or yyyy-MM-dd')
  .overwrite((s) => (s === '' ? s : s.length === 10 ? `${s} 00:00:00` : `${s.slice(0, 10)} ${s.slice(11, 19)}`))
  .optional();
const certType = z.enum(['01', '02', '03'], { error: 'must be 01 (e-certificate), 02 (ID card) or 03 (social-security card)' });
const insutype = z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype');
const medType = z.string().regex(/^\d{2,6}$/, 'must be a med_type code');
const dateOrTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,3})?)?$/, 'must be yyyy-MM-dd, yyyy-MM-dd HH:mm:ss or yyyy-MM-ddTHH:mm:ss')
  .overwrite((s) => s.slice(0, 10));
/**
 * A whole count within bounds the check cannot give the JSON Schema by itself: the refinement holds in
 * zod, and `pattern` (the string form) with the number bounds says the same in the generated schema.
 */
const count = (min: number, max: number, message: string, pattern: string) =>
  wireCount
    .refine((n) => n >= min && n <= max, message)
    .meta({ anyOf: [{ type: 'number', ...wireNumberBounds(1, min, max) }, { type: 'string', pattern }] });
const lines = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must have at least one line').max(MAX_LINES, `must have at most ${MAX_LINES} lines`);

const feeLine = {
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

const certFields = {
  mdtrt_cert_type: certType,
  mdtrt_cert_no: id(64),
  card_sn: opt(32),
};

export const inputs = {
  '9001': z.looseObject({ signIn: z.looseObject({ opter_no: id(30), mac: opt(30), ip: opt(50) }) }),
  '1101': z.looseObject({
    data: z.looseObject({
      ...certFields,
      begntime: time,
      psn_cert_type: opt(6),
      certno: opt(50),
      psn_name: opt(50),
    }),
  }),
  '1312': z.looseObject({
    data: z
      .looseObject({
        hilist_code: opt(50),
        hilist_name: opt(200),
        insu_admdvs: opt(6),
        page_num: blankable(count(1, 1e9, 'must be at least 1', '^(?=\\d{1,9}(\\.0*)?$)0*[1-9]\\d*(\\.0*)?$')),
        page_size: blankable(count(1, 1000, 'must be from 1 to 1000', '^(?=\\d{1,9}(\\.0*)?$)0*(1000|[1-9]\\d{0,2})(\\.0*)?$')),
      })
      .optional(),
  }),
  '2101': z.looseObject({
    druginfo: z.looseObject({
      psn_no: id(),
      ...certFields,
      begntime: time,
      medfee_sumamt: nonNegativeYuan,
      insutype,
      med_type: medType,
      acct_used_flag: flag,
    }),
    drugdetail: lines(z.looseObject(feeLine)),
  }),
  '2103': z.looseObject({ data: z.looseObject({ setl_id: id(), mdtrt_id: id(), psn_no: id() }) }),
  '2201': z.looseObject({
    data: z.looseObject({
      psn_no: id(),
      insutype,
      begntime: time,
      ...certFields,
      ipt_otp_no: id(30),
    }),
  }),
  '2202': z.looseObject({ data: z.looseObject({ psn_no: id(), mdtrt_id: id(), ipt_otp_no: opt(30) }) }),
  '2203': z.looseObject({
    mdtrtinfo: z.looseObject({ mdtrt_id: id(), psn_no: id(), med_type: medType, dise_codg: opt(30), dise_name: opt(300) }),
    diseinfo: z.array(z.looseObject({})).max(100).optional(),
  }),
  '2204': z.looseObject({
    feedetail: lines(z.looseObject({ ...feeLine, mdtrt_id: id(), psn_no: id() })),
  }),
  '2205': z.looseObject({ data: z.looseObject({ mdtrt_id: id(), chrg_bchno: opt(30), psn_no: id() }) }),
  '2206': z.looseObject({
    data: z.looseObject({
      psn_no: id(),
      ...certFields,
      med_type: medType,
      medfee_sumamt: nonNegativeYuan,
      psn_setlway: opt(3),
      mdtrt_id: id(),
      chrg_bchno: opt(30),
      acct_used_flag: flag,
      insutype,
    }),
  }),
  '2601': z.looseObject({
    data: z.looseObject({ psn_no: id(), omsgid: id(30), oinfno: z.enum(['2102', '2103', '2207', '2208'], { error: 'must be 2102, 2103, 2207 or 2208' }) }),
  }),
  '3201': z.looseObject({
    data: z.looseObject({
      insutype,
      clr_type: z.string().regex(/^\d{2}$/, 'must be a 2-digit clr_type'),
      setl_optins: opt(6),
      stmt_begndate: dateOrTime,
      stmt_enddate: dateOrTime,
      medfee_sumamt: yuan,
      fund_pay_sumamt: yuan,
      acct_pay: yuan,
      fixmedins_setl_cnt: count(0, 1e9, 'must not be negative', '^(-(?=0+(\\.0*)?$))?\\d{1,9}(\\.0*)?$'),
      refd_setl_flag: blankable(flag),
      REFD_SETL_FLAG: blankable(flag),
    }),
  }),
  '3202': z.looseObject({
    data: z.looseObject({
      setl_optins: opt(6),
      stmt_begndate: dateOrTime,
      stmt_enddate: dateOrTime,
      details: z
        .array(
          z.looseObject({
            setl_id: id(),
            mdtrt_id: opt(30),
            psn_no: opt(30),
            medfee_sumamt: yuan,
            fund_pay_sumamt: yuan,
            acct_pay: yuan,
            refd_setl_flag: blankable(flag),
            REFD_SETL_FLAG: blankable(flag),
          }),
        )
        .max(100_000),
    }),
  }),
} as const;

export type InputKey = keyof typeof inputs;
/** What a handler reads: the wire schema's output, normalised (no blanks; REFD_SETL_FLAG folded into refd_setl_flag, "1" by default on 3201). */
export type Inputs = { [K in InputKey]: z.output<(typeof inputs)[K]> };

/** The wire schema of a transaction's input (for `medpos schema`, OpenAPI, and the conformance suite). */
export function wireSchema(key: InputKey): z.ZodType {
  return inputs[key];
}

/** Blank optional fields are absent ones: every "" left after validation is an optional field's. */
function dropBlanks(v: unknown): void {
  if (Array.isArray(v)) for (const x of v) dropBlanks(x);
  else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (o[k] === '') delete o[k];
      else dropBlanks(o[k]);
    }
  }
}

/** REFD_SETL_FLAG (3201/3202's upper-case variant) read as refd_setl_flag. */
function foldRefdFlag(o: { refd_setl_flag?: string; REFD_SETL_FLAG?: string }): void {
  if (o.refd_setl_flag === undefined && o.REFD_SETL_FLAG !== undefined) o.refd_setl_flag = o.REFD_SETL_FLAG;
  delete o.REFD_SETL_FLAG;
}

const NORMALISE: Partial<{ [K in InputKey]: (input: Inputs[K]) => void }> = {
  '3201': (i) => {
    foldRefdFlag(i.data);
    i.data.refd_setl_flag ??= '1';
  },
  '3202': (i) => {
    for (const d of i.data.details) foldRefdFlag(d);
  },
};

/** Validates a transaction's input against its wire schema, then normalises it; a refusal names the field. */
export function parseInput<K extends InputKey>(key: K, raw: unknown): Inputs[K] {
  const r = inputs[key].safeParse(raw);
  if (!r.success) throw new Refusal('malformed_input', describeZodError(r.error, 'input'));
  const value = r.data as Inputs[K];
  dropBlanks(value);
  (NORMALISE[key] as ((i: Inputs[K]) => void) | undefined)?.(value);
  return value;
}
export type FeeLineInput = z.infer<(typeof inputs)['2101']>['drugdetail'][number];
