import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { nonNegativeYuan, ratio } from './money.ts';
import { date, hospLv, isRealDate, nonEmpty, ratioTable } from './world-fields.ts';
import { chronicPolicy, crossCheckInpatient, dateOrTime, filing, inpatientPolicy, inpatientYtd, type ChronicPolicy, type Filing, type InpatientPolicy } from './world-inpatient.ts';

/**
 * A world in format medpos-world/1 (shared/spec/world.md): the region's policy, institutions,
 * catalog, persons and cards. Parsed strictly: unknown keys are refused. Money fields are
 * converted to integer fen and ratios to parts per 10 000 at this boundary.
 */

const code = (len: number) => z.string().length(len, `must be ${len} characters`);
export { isRealDate };

export const RELATIONS = ['spouse', 'parent', 'child', 'sibling', 'grandparent', 'grandchild'] as const;

const institution = z
  .strictObject({
    fixmedins_code: code(12),
    fixmedins_name: nonEmpty,
    fixmedins_type: z.enum(['hospital', 'pharmacy']),
    hosp_lv: hospLv.optional(),
    designated: z.boolean(),
  })
  .refine((i) => i.fixmedins_type !== 'hospital' || i.hosp_lv !== undefined, {
    message: 'hosp_lv is required for hospitals',
    path: ['hosp_lv'],
  });

const insutypePolicy = z.strictObject({
  deductible: nonNegativeYuan,
  cap: nonNegativeYuan,
  ratio: ratioTable,
  inpatient: inpatientPolicy.optional(),
  chronic: chronicPolicy.optional(),
});

const worldFile = z.strictObject({
  format: z.literal('medpos-world/1'),
  admdvs: z.string().regex(/^\d{6}$/, 'must be a 6-digit area code'),
  name: nonEmpty,
  institutions: z.array(institution).min(1, 'must list at least one institution'),
  policy: z.strictObject({
    acct_pays_selfpay_items: z.boolean().default(false),
    pharmacy_pooling: z.boolean().default(false),
    card_pin_required: z.boolean().default(false),
    ecert_ttl_s: z.number().int().positive().max(86_400).default(60),
    ecert_single_use: z.boolean().default(true),
    mulaid_relations: z.array(z.enum(RELATIONS)).default(['spouse', 'parent', 'child']),
    insutype: z.record(z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype'), insutypePolicy),
  }),
});

// --- the per-line flags clients read (clients.md section 1); absent: "0", med_chrgitm_type from list_type
const flag01 = z.enum(['0', '1'], { error: 'must be "0" or "1"' }).optional();
const catalogFlags = {
  med_chrgitm_type: z.string().regex(/^\d{2,4}$/, 'must be a 2- to 4-digit med_chrgitm_type code').optional(),
  bas_medn_flag: flag01,
  hi_nego_drug_flag: flag01,
  chld_medc_flag: flag01,
  list_sp_item_flag: flag01,
  drt_reim_flag: flag01,
};
/** med_chrgitm_type by list_type when the catalog gives none: 西药费, 中药饮片费, 其他费, 卫生材料费. */
export const MED_CHRGITM_TYPE_OF_LIST_TYPE: Record<string, string> = { '101': '09', '102': '10', '201': '14', '301': '08' };
// --- end of the per-line flags

const catalogItem = z
  .strictObject({
    hilist_code: z.string().min(1).max(50),
    hilist_name: nonEmpty,
    chrgitm_lv: z.enum(['01', '02', '03']),
    list_type: z.enum(['101', '102', '201', '301']),
    selfpay_prop: ratio,
    hilist_pric_uplmt_amt: nonNegativeYuan.nullable(),
    lmt_used_flag: z.enum(['0', '1']),
    begndate: date,
    enddate: date.nullable(),
    barcodes: z.array(z.string().regex(/^\d{1,20}$/, 'must be digits (EAN-13 or a trace-code prefix)')).optional(),
    ...catalogFlags,
  })
  .refine((i) => i.chrgitm_lv !== '01' || i.selfpay_prop === 0, {
    message: 'selfpay_prop must be 0 for 甲 (chrgitm_lv 01)',
    path: ['selfpay_prop'],
  });

const insuinfo = z
  .strictObject({
    insutype: z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype'),
    psn_type: z.string().regex(/^\d{2,6}$/, 'must be a psn_type code'),
    psn_insu_stas: z.string().min(1).max(3),
    insuplc_admdvs: z.string().regex(/^\d{6}$/, 'must be a 6-digit area code'),
    balc: nonNegativeYuan.optional(),
    emp_name: z.string().max(200).optional(),
    psn_insu_date: date.optional(),
    paus_insu_date: date.nullable().optional(),
    cvlserv_flag: z.enum(['0', '1']).optional(),
  })
  .refine((i) => i.insutype === '310' || i.balc === undefined, {
    message: 'only employee insurance (310) has a personal account balance',
    path: ['balc'],
  });

const person = z.strictObject({
  baseinfo: z.strictObject({
    psn_no: z.string().regex(/^[0-9A-Za-z]{1,30}$/, 'must be 1 to 30 letters or digits'),
    psn_cert_type: z.string().min(1).max(6),
    certno: z.string().regex(/^[0-9A-Za-z]{1,30}$/, 'must be 1 to 30 letters or digits'),
    psn_name: nonEmpty,
    gend: z.string().min(1).max(1),
    naty: z.string().min(1).max(3),
    brdy: date,
  }),
  insuinfo: z.array(insuinfo).min(1, 'must list at least one insurance'),
  idetinfo: z.array(
    z.strictObject({
      psn_idet_type: z.string().min(1).max(10),
      psn_type_lv: z.string().max(10).optional(),
      memo: z.string().max(200).optional(),
      begntime: dateOrTime,
      endtime: dateOrTime.nullable().optional(),
    }),
  ),
  ytd: z
    .record(
      z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype'),
      z.strictObject({ dedc_used: nonNegativeYuan.optional(), fund_used: nonNegativeYuan.optional(), ...inpatientYtd }),
    )
    .optional(),
  family: z.array(z.strictObject({ psn_no: z.string().min(1).max(30), relation: z.enum(RELATIONS) })).optional(),
  chronic: z.array(filing).optional(),
});

const card = z.strictObject({
  card_no: code(9),
  psn_no: z.string().min(1).max(30),
  card_sn: z.string().regex(/^\d{6}D156000005[0-9A-F]{16}$/i, 'must be 32 hex digits: area code, D156000005, then 16 more'),
  spec_ver: z.enum(['1.00', '2.00', '3.00']),
  issue_date: date,
  expiry_date: date,
  pin: z.string().regex(/^\d{6}$/, 'must be 6 digits'),
  status: z.enum(['active', 'lost', 'frozen']),
  chip: z
    .strictObject({
      certno: z.string().min(1).max(18).optional(),
      psn_name: z.string().min(1).max(15).optional(),
      gend: z.string().length(1).optional(),
      naty: z.string().regex(/^\d{1,2}$/).optional(),
      brdy: date.optional(),
    })
    .optional(),
});

export type WorldFile = z.infer<typeof worldFile>;
export type Institution = WorldFile['institutions'][number];
export type Policy = WorldFile['policy'];
export type CatalogItem = z.infer<typeof catalogItem>;
export type Person = z.infer<typeof person>;
export type Insuinfo = Person['insuinfo'][number];
export type Card = z.infer<typeof card>;
export type InsutypePolicy = z.infer<typeof insutypePolicy>;
export type { ChronicPolicy, ChronicRule, Filing, InpatientPolicy, MafRule, MajorIllnessPolicy, RatioTable } from './world-inpatient.ts';
export type IdetInfo = Person['idetinfo'][number];
export type YearToDate = NonNullable<Person['ytd']>[string];

export interface World {
  world: WorldFile;
  catalog: CatalogItem[];
  persons: Person[];
  cards: Card[];
}

export interface WorldProblem {
  file: string;
  path: string;
  message: string;
}

export class WorldError extends Error {
  constructor(readonly problems: WorldProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'WorldError';
  }
}

export function formatProblem(p: WorldProblem): string {
  return `${p.file}${p.path}: ${p.message}`;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
}

const FILES = {
  'world.json': worldFile,
  'catalog.json': z.array(catalogItem),
  'persons.json': z.array(person),
  'cards.json': z.array(card),
} as const;

/** Parses the four files' contents; every problem is reported, and nothing is returned unless all are clean. */
export function parseWorld(contents: WorldFiles): World {
  const problems: WorldProblem[] = [];
  const parsed: Partial<Record<keyof typeof FILES, unknown>> = {};
  for (const [file, schema] of Object.entries(FILES) as [keyof typeof FILES, z.ZodType][]) {
    const r = schema.safeParse(contents[file]);
    if (r.success) parsed[file] = r.data;
    else for (const issue of r.error.issues) problems.push({ file, path: formatPath(issue.path), message: issue.message });
  }
  if (problems.length) throw new WorldError(problems);
  const world: World = {
    world: parsed['world.json'] as WorldFile,
    catalog: parsed['catalog.json'] as CatalogItem[],
    persons: parsed['persons.json'] as Person[],
    cards: parsed['cards.json'] as Card[],
  };
  problems.push(...crossCheck(world), ...crossCheckInpatient(world));
  if (problems.length) throw new WorldError(problems);
  return world;
}

export type WorldFiles = Record<keyof typeof FILES, unknown>;

export function loadWorld(dir: string): World {
  return parseWorld(readWorldFiles(dir));
}

/** The four files of a world directory as parsed JSON, not yet validated. */
export function readWorldFiles(dir: string): WorldFiles {
  const contents = {} as WorldFiles;
  const problems: WorldProblem[] = [];
  for (const file of Object.keys(FILES) as (keyof typeof FILES)[]) {
    try {
      contents[file] = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file is missing' : `not valid JSON (${(err as Error).message})`;
      problems.push({ file, path: '', message: why });
    }
  }
  if (problems.length) throw new WorldError(problems);
  return contents;
}

function duplicates<T>(items: T[], key: (t: T) => string, file: string, field: string): WorldProblem[] {
  const seen = new Map<string, number>();
  const out: WorldProblem[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) out.push({ file, path: `[${i}].${field}`, message: `duplicates [${first}] (${k})` });
    else seen.set(k, i);
  });
  return out;
}

/** Rules that span records or files. */
function crossCheck(w: World): WorldProblem[] {
  const out: WorldProblem[] = [
    ...duplicates(w.world.institutions, (i) => i.fixmedins_code, 'world.json', 'fixmedins_code').map((p) => ({ ...p, path: `.institutions${p.path}` })),
    ...duplicates(w.catalog, (i) => i.hilist_code, 'catalog.json', 'hilist_code'),
    ...duplicates(w.persons, (p) => p.baseinfo.psn_no, 'persons.json', 'baseinfo.psn_no'),
    ...duplicates(w.persons, (p) => p.baseinfo.certno, 'persons.json', 'baseinfo.certno'),
    ...duplicates(w.cards, (c) => c.card_no, 'cards.json', 'card_no'),
    ...duplicates(w.cards, (c) => c.card_sn.toUpperCase(), 'cards.json', 'card_sn'),
  ];
  const barcodeOwner = new Map<string, number>();
  w.catalog.forEach((item, i) =>
    item.barcodes?.forEach((b, j) => {
      const first = barcodeOwner.get(b);
      if (first !== undefined && first !== i) out.push({ file: 'catalog.json', path: `[${i}].barcodes[${j}]`, message: `barcode ${b} already belongs to [${first}]` });
      barcodeOwner.set(b, i);
    }),
  );
  const psnNos = new Set(w.persons.map((p) => p.baseinfo.psn_no));
  w.persons.forEach((p, i) => {
    const types = new Set<string>();
    p.insuinfo.forEach((ins, j) => {
      if (types.has(ins.insutype)) out.push({ file: 'persons.json', path: `[${i}].insuinfo[${j}].insutype`, message: `insutype ${ins.insutype} is listed twice` });
      types.add(ins.insutype);
    });
    for (const t of Object.keys(p.ytd ?? {})) {
      if (!types.has(t)) out.push({ file: 'persons.json', path: `[${i}].ytd.${t}`, message: `the person has no insurance ${t}` });
    }
    p.family?.forEach((f, j) => {
      const path = `[${i}].family[${j}].psn_no`;
      if (!psnNos.has(f.psn_no)) out.push({ file: 'persons.json', path, message: `no person ${f.psn_no}` });
      if (f.psn_no === p.baseinfo.psn_no) out.push({ file: 'persons.json', path, message: 'a person cannot bind themselves' });
    });
  });
  w.cards.forEach((c, i) => {
    if (!psnNos.has(c.psn_no)) out.push({ file: 'cards.json', path: `[${i}].psn_no`, message: `no person ${c.psn_no}` });
    if (c.expiry_date < c.issue_date) out.push({ file: 'cards.json', path: `[${i}].expiry_date`, message: 'is before issue_date' });
  });
  w.catalog.forEach((item, i) => {
    if (item.enddate !== null && item.enddate < item.begndate) out.push({ file: 'catalog.json', path: `[${i}].enddate`, message: 'is before begndate' });
  });
  return out;
}

/** Look-ups the rest of medpos needs, built once per loaded world. */
export class WorldIndex {
  readonly institutions = new Map<string, Institution>();
  readonly catalog = new Map<string, CatalogItem>();
  readonly persons = new Map<string, Person>();
  readonly personsByCertno = new Map<string, Person>();
  readonly cards = new Map<string, Card>();
  readonly personOrder = new Map<string, number>();

  constructor(readonly data: World) {
    for (const i of data.world.institutions) this.institutions.set(i.fixmedins_code, i);
    for (const c of data.catalog) this.catalog.set(c.hilist_code, c);
    data.persons.forEach((p, n) => {
      this.persons.set(p.baseinfo.psn_no, p);
      this.personsByCertno.set(p.baseinfo.certno.toUpperCase(), p);
      this.personOrder.set(p.baseinfo.psn_no, n);
    });
    for (const c of data.cards) this.cards.set(c.card_no, c);
  }

  get policy(): Policy {
    return this.data.world.policy;
  }

  /** The item a scanned barcode names: an exact EAN-13, or the longest trace-code prefix. */
  itemByBarcode(text: string): CatalogItem | undefined {
    let best: { item: CatalogItem; len: number } | undefined;
    for (const item of this.data.catalog) {
      for (const b of item.barcodes ?? []) {
        if ((text === b || (text.length === 20 && text.startsWith(b))) && (!best || b.length > best.len)) best = { item, len: b.length };
      }
    }
    return best?.item;
  }

  // ---- issue 12: inpatient and chronic look-ups ----

  /** The inpatient policy of an insutype; undefined when the world has none (2401 is refused policy_missing). */
  inpatientPolicy(insutype: string): InpatientPolicy | undefined {
    return this.policy.insutype[insutype]?.inpatient;
  }

  /** The chronic-disease policy of an insutype; undefined when med_type 14 is priced as 11. */
  chronicPolicy(insutype: string): ChronicPolicy | undefined {
    return this.policy.insutype[insutype]?.chronic;
  }

  /** The world's filings, each with its person, in persons.json order (5301 lists them first). */
  get filings(): ReadonlyMap<string, { psn_no: string; filing: Filing }> {
    if (!this.filingMemo) {
      this.filingMemo = new Map();
      for (const p of this.data.persons) for (const f of p.chronic ?? []) this.filingMemo.set(f.trt_dcla_detl_sn, { psn_no: p.baseinfo.psn_no, filing: f });
    }
    return this.filingMemo;
  }
  private filingMemo: Map<string, { psn_no: string; filing: Filing }> | undefined;
}
