/**
 * The additions to medpos-world/1 of inpatient.md ("Additions to world.md"): the inpatient policy
 * with its further funds, the chronic-disease policy, dated identities, the new year-to-date
 * counters and chronic filings. Validated as strictly as the rest of the world (world.ts).
 */
import { z } from 'zod';
import { nonNegativeYuan, ratio } from './money.ts';
import { date, isRealDate, nonEmpty, psnTypeKey, ratioTable } from './world-fields.ts';
import type { World, WorldProblem } from './world.ts';

const fundPayType = z.string().regex(/^\d{6}$/, 'must be a 6-digit fund_pay_type');
const diseCode = z.string().regex(/^[0-9A-Za-z.-]{1,30}$/, 'must be a disease code (1 to 30 letters, digits, "." or "-")');

/** Large-amount (310) or serious-illness (390) fund: bands of the in-scope self-burden above a threshold. */
const majorIllness = z
  .strictObject({
    threshold: nonNegativeYuan,
    bands: z.array(z.strictObject({ upto: nonNegativeYuan.nullable(), ratio })).min(1, 'must list at least one band'),
    cap: nonNegativeYuan.nullable().default(null),
    fund_pay_type: fundPayType.optional(),
  })
  .superRefine((m, ctx) => {
    let lower = m.threshold;
    m.bands.forEach((b, k) => {
      const path = ['bands', k, 'upto'];
      if (b.upto === null) {
        if (k !== m.bands.length - 1) ctx.addIssue({ code: 'custom', message: 'only the last band may be open-ended (upto null)', path });
        return;
      }
      if (b.upto <= lower) ctx.addIssue({ code: 'custom', message: k === 0 ? 'must be above the threshold' : 'must be above the previous band\'s upto', path });
      lower = b.upto;
    });
  });

const cvlservPolicy = z.strictObject({
  ratio: z.record(psnTypeKey, ratio),
  cap: nonNegativeYuan,
});

const mafRule = z.strictObject({ psn_idet_type: z.string().min(1).max(10), ratio, cap: nonNegativeYuan });

export const inpatientPolicy = z.strictObject({
  deductible: z.strictObject({ '1': nonNegativeYuan, '2': nonNegativeYuan, '3': nonNegativeYuan }),
  repeat_dedc_ratio: ratio.default(10_000),
  ratio: ratioTable,
  cap: nonNegativeYuan,
  major_illness: majorIllness.optional(),
  cvlserv: cvlservPolicy.optional(),
  maf: z
    .array(mafRule)
    .superRefine((rules, ctx) => {
      const seen = new Map<string, number>();
      rules.forEach((r, k) => {
        const first = seen.get(r.psn_idet_type);
        if (first !== undefined) ctx.addIssue({ code: 'custom', message: `duplicates [${first}] (${r.psn_idet_type})`, path: [k, 'psn_idet_type'] });
        else seen.set(r.psn_idet_type, k);
      });
    })
    .optional(),
});

/** Outpatient chronic and special diseases (med_type 14), per disease and year. */
export const chronicPolicy = z.record(
  diseCode,
  z.strictObject({ opsp_dise_name: nonEmpty.optional(), deductible: nonNegativeYuan, ratio: ratioTable, cap: nonNegativeYuan }),
);

/** yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, as identities carry them. */
export const dateOrTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/, { error: 'must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss', abort: true })
  .refine((s) => isRealDate(s.slice(0, 10)) && (s.length === 10 || /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(s.slice(11))), 'is not a real date or time');

const yuanUsed = nonNegativeYuan.optional();
export const inpatientYtd = {
  ipt_cnt: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must not be negative').max(10_000, 'is too large').optional(),
  ipt_fund_used: yuanUsed,
  major_base: yuanUsed,
  major_fund_used: yuanUsed,
  cvlserv_used: yuanUsed,
  maf_used: yuanUsed,
  chronic: z.record(diseCode, z.strictObject({ dedc_used: yuanUsed, fund_used: yuanUsed })).optional(),
};

/** A chronic-disease filing (2503's record) the world starts with. */
export const filing = z.strictObject({
  trt_dcla_detl_sn: z.string().regex(/^[0-9A-Za-z_-]{1,30}$/, 'must be 1 to 30 letters, digits, "_" or "-"'),
  insutype: z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype'),
  opsp_dise_code: diseCode,
  opsp_dise_name: nonEmpty.optional(),
  begndate: date,
  enddate: date.nullable().optional(),
});

export type RatioTable = z.infer<typeof ratioTable>;
export type InpatientPolicy = z.infer<typeof inpatientPolicy>;
export type MajorIllnessPolicy = z.infer<typeof majorIllness>;
export type MafRule = z.infer<typeof mafRule>;
export type ChronicPolicy = z.infer<typeof chronicPolicy>;
export type ChronicRule = ChronicPolicy[string];
export type Filing = z.infer<typeof filing>;

/** The issue 12 rules that span records or files: further funds, identities, chronic filings. */
export function crossCheckInpatient(w: World): WorldProblem[] {
  const out: WorldProblem[] = [];
  const insutypes = w.world.policy.insutype;
  for (const [t, rules] of Object.entries(insutypes)) {
    if (t !== '310' && rules.inpatient?.cvlserv) {
      out.push({ file: 'world.json', path: `.policy.insutype.${t}.inpatient.cvlserv`, message: 'only employee insurance (310) has a civil-servant subsidy' });
    }
  }
  const filingOwner = new Map<string, string>();
  w.persons.forEach((p, i) => {
    p.idetinfo.forEach((d, j) => {
      if (d.endtime && d.endtime.slice(0, 10) < d.begntime.slice(0, 10)) {
        out.push({ file: 'persons.json', path: `[${i}].idetinfo[${j}].endtime`, message: 'is before begntime' });
      }
    });
    for (const [t, used] of Object.entries(p.ytd ?? {})) {
      for (const code of Object.keys(used.chronic ?? {})) {
        if (!insutypes[t]?.chronic?.[code]) out.push({ file: 'persons.json', path: `[${i}].ytd.${t}.chronic.${code}`, message: `the policy has no chronic disease ${code} for insutype ${t}` });
      }
    }
    p.chronic?.forEach((f, j) => {
      const path = `[${i}].chronic[${j}]`;
      const first = filingOwner.get(f.trt_dcla_detl_sn);
      if (first !== undefined) out.push({ file: 'persons.json', path: `${path}.trt_dcla_detl_sn`, message: `duplicates the filing of ${first} (${f.trt_dcla_detl_sn})` });
      else filingOwner.set(f.trt_dcla_detl_sn, `[${i}].chronic[${j}]`);
      if (!p.insuinfo.some((ins) => ins.insutype === f.insutype)) out.push({ file: 'persons.json', path: `${path}.insutype`, message: `the person has no insurance ${f.insutype}` });
      else if (!insutypes[f.insutype]?.chronic?.[f.opsp_dise_code]) {
        out.push({ file: 'persons.json', path: `${path}.opsp_dise_code`, message: `the policy has no chronic disease ${f.opsp_dise_code} for insutype ${f.insutype}` });
      }
      if (f.enddate && f.enddate < f.begndate) out.push({ file: 'persons.json', path: `${path}.enddate`, message: 'is before begndate' });
      const overlapped = p.chronic!.findIndex((g, k) => k < j && g.insutype === f.insutype && g.opsp_dise_code === f.opsp_dise_code && periodsOverlap(g, f));
      if (overlapped >= 0) out.push({ file: 'persons.json', path: `${path}.begndate`, message: `overlaps the filing [${overlapped}] of the same disease` });
    });
  });
  return out;
}

/** Do two filing periods (enddate null or absent: open) share a day? */
export function periodsOverlap(a: { begndate: string; enddate?: string | null }, b: { begndate: string; enddate?: string | null }): boolean {
  return a.begndate <= (b.enddate ?? '9999-12-31') && b.begndate <= (a.enddate ?? '9999-12-31');
}
