import { describe, expect, it } from 'vitest';
import { openingCounters } from '../../src/core/counters.ts';
import { formatProblem, parseWorld, readWorldFiles, WorldError, WorldIndex, type WorldFiles } from '../../src/core/world.ts';
import { EXAMPLE_I } from './inpatient-helpers.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Mutable = { world: any; persons: any[]; catalog: any[]; cards: any[] };

function problemsOf(change: (w: Mutable) => void): string[] {
  const files = structuredClone(readWorldFiles(EXAMPLE_I)) as WorldFiles;
  change({ world: files['world.json'], persons: files['persons.json'] as any[], catalog: files['catalog.json'] as any[], cards: files['cards.json'] as any[] });
  try {
    parseWorld(files);
  } catch (e) {
    if (e instanceof WorldError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

const ipt310 = (w: Mutable) => w.world.policy.insutype['310'].inpatient;
const ipt390 = (w: Mutable) => w.world.policy.insutype['390'].inpatient;

describe('world format additions of inpatient.md', () => {
  it('loads the example world with every addition, in fen and parts per 10 000', () => {
    const w = new WorldIndex(parseWorld(readWorldFiles(EXAMPLE_I)));
    const p = w.inpatientPolicy('310')!;
    expect(p.deductible).toEqual({ '1': 40000, '2': 70000, '3': 100000 });
    expect(p.repeat_dedc_ratio).toBe(5000);
    expect(p.major_illness).toEqual({ threshold: 3000000, cap: 50000000, fund_pay_type: '330100', bands: [{ upto: 10000000, ratio: 8000 }, { upto: null, ratio: 9000 }] });
    expect(w.inpatientPolicy('390')!.maf).toEqual([{ psn_idet_type: '2301', ratio: 9000, cap: 5000000 }, { psn_idet_type: '2302', ratio: 7000, cap: 3000000 }]);
    expect(w.chronicPolicy('310')!.M03900!.deductible).toBe(20000);
    expect(w.chronicPolicy('390')).toBeUndefined();
    expect([...w.filings.keys()]).toEqual(['MT440300000026']);
    const c1 = w.persons.get('44030000000000000026')!;
    expect(openingCounters(c1, '310').chronic.get('M03900')).toEqual({ dedc_used: 15000, fund_used: 390000 });
    expect(openingCounters(w.persons.get('44030000000000000020')!, '310').counters).toEqual({
      dedc_used: 0, fund_used: 0, ipt_cnt: 1, ipt_fund_used: 29000000, major_base: 5230000, major_fund_used: 1784000, cvlserv_used: 0, maf_used: 0,
    });
  });

  it('a world without the additions means what it meant, and the optional keys take their defaults', () => {
    expect(problemsOf((w) => {
      delete ipt310(w).repeat_dedc_ratio;
      delete ipt310(w).major_illness.cap;
      delete ipt310(w).major_illness.fund_pay_type;
    })).toEqual([]);
    const files = structuredClone(readWorldFiles(EXAMPLE_I)) as WorldFiles;
    delete (files['world.json'] as any).policy.insutype['310'].inpatient.repeat_dedc_ratio;
    const p = parseWorld(files).world.policy.insutype['310']!.inpatient!;
    expect(p.repeat_dedc_ratio).toBe(10_000);
    expect(new WorldIndex(parseWorld(readWorldFiles('fixtures/worlds/example-h'))).inpatientPolicy('310')).toBeUndefined();
  });

  it('refuses bad policy keys with their paths', () => {
    expect(problemsOf((w) => delete ipt310(w).deductible['2'])).toEqual(['world.json.policy.insutype.310.inpatient.deductible.2: must be a number (yuan)']);
    expect(problemsOf((w) => (ipt310(w).deductible['4'] = 1))).toEqual([expect.stringMatching(/^world\.json\.policy\.insutype\.310\.inpatient\.deductible: Unrecognized key/)]);
    expect(problemsOf((w) => (ipt310(w).cap = 1.234))).toEqual(['world.json.policy.insutype.310.inpatient.cap: must be yuan with at most two decimals']);
    expect(problemsOf((w) => (ipt310(w).repeat_dedc_ratio = 1.5))).toEqual(['world.json.policy.insutype.310.inpatient.repeat_dedc_ratio: must be a ratio between 0 and 1']);
    expect(problemsOf((w) => (ipt310(w).typo = 1))).toEqual([expect.stringMatching(/inpatient: Unrecognized key/)]);
    expect(problemsOf((w) => (ipt310(w).major_illness.bands = []))).toEqual(['world.json.policy.insutype.310.inpatient.major_illness.bands: must list at least one band']);
    expect(problemsOf((w) => (ipt310(w).major_illness.bands[0].upto = 20000))).toEqual(['world.json.policy.insutype.310.inpatient.major_illness.bands[0].upto: must be above the threshold']);
    expect(problemsOf((w) => (ipt310(w).major_illness.bands = [{ upto: null, ratio: 0.8 }, { upto: 100000, ratio: 0.9 }]))).toEqual([
      'world.json.policy.insutype.310.inpatient.major_illness.bands[0].upto: only the last band may be open-ended (upto null)',
    ]);
    expect(problemsOf((w) => (ipt310(w).major_illness.bands = [{ upto: 100000, ratio: 0.8 }, { upto: 90000, ratio: 0.9 }]))).toEqual([
      "world.json.policy.insutype.310.inpatient.major_illness.bands[1].upto: must be above the previous band's upto",
    ]);
    expect(problemsOf((w) => (ipt310(w).major_illness.fund_pay_type = '3911'))).toEqual(['world.json.policy.insutype.310.inpatient.major_illness.fund_pay_type: must be a 6-digit fund_pay_type']);
    expect(problemsOf((w) => (ipt390(w).maf[1].psn_idet_type = '2301'))).toEqual(['world.json.policy.insutype.390.inpatient.maf[1].psn_idet_type: duplicates [0] (2301)']);
    expect(problemsOf((w) => (ipt390(w).cvlserv = { ratio: { default: 0.5 }, cap: 100 }))).toEqual([
      'world.json.policy.insutype.390.inpatient.cvlserv: only employee insurance (310) has a civil-servant subsidy',
    ]);
    expect(problemsOf((w) => (w.world.policy.insutype['310'].chronic.M03900.cap = -1))).toEqual(['world.json.policy.insutype.310.chronic.M03900.cap: must not be negative']);
    expect(problemsOf((w) => (w.world.policy.insutype['310'].chronic['bad code!'] = { deductible: 0, cap: 0, ratio: {} }))).toEqual([
      expect.stringMatching(/^world\.json\.policy\.insutype\.310\.chronic\.bad code!: /),
    ]);
  });

  it('refuses bad person keys: identities, ytd counters, filings', () => {
    const c1 = (w: Mutable) => w.persons[4];
    expect(problemsOf((w) => (w.persons[2].idetinfo[0].begntime = '2025/01/01'))).toEqual(['persons.json[2].idetinfo[0].begntime: must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss']);
    expect(problemsOf((w) => (w.persons[2].idetinfo[0].begntime = '2025-02-30'))).toEqual(['persons.json[2].idetinfo[0].begntime: is not a real date or time']);
    expect(problemsOf((w) => (w.persons[2].idetinfo[0].endtime = '2024-12-31 23:59:59'))).toEqual(['persons.json[2].idetinfo[0].endtime: is before begntime']);
    expect(problemsOf((w) => (w.persons[2].idetinfo[0].endtime = '2025-06-30 12:00:00'))).toEqual([]);
    expect(problemsOf((w) => (w.persons[0].ytd['310'].ipt_cnt = 1.5))).toEqual(['persons.json[0].ytd.310.ipt_cnt: must be a whole number']);
    expect(problemsOf((w) => (w.persons[0].ytd['310'].major_base = -1))).toEqual(['persons.json[0].ytd.310.major_base: must not be negative']);
    expect(problemsOf((w) => (w.persons[0].ytd['310'].maf_usd = 1))).toEqual([expect.stringMatching(/^persons\.json\[0\]\.ytd\.310: Unrecognized key/)]);
    expect(problemsOf((w) => (c1(w).ytd['310'].chronic.M01600 = { dedc_used: 1 }))).toEqual(['persons.json[4].ytd.310.chronic.M01600: the policy has no chronic disease M01600 for insutype 310']);
    expect(problemsOf((w) => (c1(w).chronic[0].opsp_dise_code = 'M01600'))).toEqual(['persons.json[4].chronic[0].opsp_dise_code: the policy has no chronic disease M01600 for insutype 310']);
    expect(problemsOf((w) => (c1(w).chronic[0].insutype = '390'))).toEqual(['persons.json[4].chronic[0].insutype: the person has no insurance 390']);
    expect(problemsOf((w) => (c1(w).chronic[0].enddate = '2025-12-31'))).toEqual(['persons.json[4].chronic[0].enddate: is before begndate']);
    expect(problemsOf((w) => c1(w).chronic.push({ ...c1(w).chronic[0], trt_dcla_detl_sn: 'X2', begndate: '2026-12-31', enddate: null }))).toEqual([
      'persons.json[4].chronic[1].begndate: overlaps the filing [0] of the same disease',
    ]);
    expect(problemsOf((w) => c1(w).chronic.push({ ...c1(w).chronic[0], begndate: '2027-01-01', enddate: null }))).toEqual([
      'persons.json[4].chronic[1].trt_dcla_detl_sn: duplicates the filing of [4].chronic[0] (MT440300000026)',
    ]);
    expect(problemsOf((w) => (c1(w).chronic[0].note = 'x'))).toEqual([expect.stringMatching(/^persons\.json\[4\]\.chronic\[0\]: Unrecognized key/)]);
    expect(problemsOf((w) => (w.persons[1].insuinfo[0].cvlserv_flag = 'Y'))).toEqual([expect.stringMatching(/^persons\.json\[1\]\.insuinfo\[0\]\.cvlserv_flag: /)]);
  });

  it('the demo world loads with its inpatient and chronic patients', () => {
    const demo = new WorldIndex(parseWorld(readWorldFiles('fixtures/worlds/demo')));
    expect(demo.inpatientPolicy('310')).toBeDefined();
    expect(demo.chronicPolicy('310')).toBeUndefined(); // 310's med_type 14 stays as settlement.md has it
    expect(Object.keys(demo.chronicPolicy('390')!)).toEqual(['M03900', 'M01600']);
    expect([...demo.filings.values()].map((f) => f.psn_no)).toEqual(['44030000000000000024']);
  });
});
