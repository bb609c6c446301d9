/**
 * Conformance (issue 10 item 5): each chain's transactions sent over HTTP as real HIS software sends
 * them (every field it sends, the variants of clients.md section 2), and every field of section 1
 * checked present with its type. A chain is a list of steps; the inpatient chain is added the same way.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { post, startGateway, type GatewayServer } from '../gateway-helpers.ts';
import { checkAnswer } from './fields.ts';

const HOSPITAL = 'H44030000002';
const PHARMACY = 'P44030000001';
const LIU = { psn_no: '44030000000000000006', certno: '44030619900218071X', name: '刘洋' };
const CAO = { psn_no: '44030000000000000024', certno: '440307195802142621' }; // the demo's chronic patient (390, filing of M03900)
/** 谢志强, the demo's patient for a stay with a mid-stay settlement (example I4). */
const XIE = { psn_no: '44030000000000000023', certno: '440306198505201178' };

/** How one run sends its requests. */
interface Variant {
  name: string;
  world: 'demo' | 'enriched';
  strings: boolean;
  body: 'json' | 'gbk' | 'text';
  perInfnoPath: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'numbers, application/json, one path, a world without the optional keys', world: 'demo', strings: false, body: 'json', perInfnoPath: false },
  { name: 'decimal strings, GBK body, per-infno path, a world with flags and dates', world: 'enriched', strings: true, body: 'gbk', perInfnoPath: true },
  { name: 'decimal strings, text/plain, one path', world: 'enriched', strings: true, body: 'text', perInfnoPath: false },
];

/** The demo world with the optional keys a world may give: catalog flags, insurance dates, identities, pharmacy pooling. */
function enrichedWorld(): string {
  const dir = mkdtempSync(join(tmpdir(), 'medpos-conformance-'));
  const read = (f: string) => JSON.parse(readFileSync(join('fixtures/worlds/demo', f), 'utf8'));
  const world = read('world.json');
  world.policy.pharmacy_pooling = true;
  const catalog = read('catalog.json').map((i: Record<string, unknown>) =>
    i.hilist_code === 'XJ01CAA040A001' ? { ...i, bas_medn_flag: '1', hi_nego_drug_flag: '0', chld_medc_flag: '1', list_sp_item_flag: '0', drt_reim_flag: '0', med_chrgitm_type: '09' } : i,
  );
  const persons = read('persons.json').map((p: { baseinfo: { psn_no: string }; insuinfo: Record<string, unknown>[]; idetinfo: unknown[] }) =>
    p.baseinfo.psn_no === LIU.psn_no
      ? {
          ...p,
          insuinfo: p.insuinfo.map((i) => ({ ...i, psn_insu_date: '2012-07-01', paus_insu_date: null, cvlserv_flag: '0' })),
          idetinfo: [{ psn_idet_type: '2201', psn_type_lv: '1', memo: '', begntime: '2020-01-01 00:00:00', endtime: null }],
        }
      : p,
  );
  mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries({ 'world.json': world, 'catalog.json': catalog, 'persons.json': persons, 'cards.json': read('cards.json') })) writeFileSync(join(dir, f), JSON.stringify(v));
  return dir;
}

type Vars = Record<string, string>;
interface Step {
  infno: string;
  /** `family`: the node and name variants one HIS family sends (clients.md section 2), used with the decimal strings. */
  input: (v: Vars, amt: (yuan: number, places?: number) => number | string, family: boolean) => Record<string, unknown>;
  /** Lists that must have rows in this chain (so that their rows are checked). */
  rows?: string[];
  keep?: (output: any, v: Vars) => void;
}

const signIn: Step = { infno: '9001', input: () => ({ signIn: { opter_no: 'D01', mac: '00-11-22-33-44-55', ip: '10.0.0.5' } }), keep: (o, v) => (v.sign_no = o.signinoutb.sign_no) };
const personInfo: Step = {
  infno: '1101',
  input: () => ({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: LIU.certno, card_sn: '', begntime: '2026-11-20T09:40:00', psn_cert_type: '01', certno: LIU.certno, psn_name: LIU.name } }),
  rows: ['insuinfo'],
};
const feeLine = (sn: string, code: string, pric: number, cnt: number, amt: (y: number, p?: number) => number | string, extra: Record<string, unknown> = {}) => ({
  feedetl_sn: sn,
  init_feedetl_sn: '',
  drord_no: '',
  med_type: '',
  fee_ocur_time: '2026-11-20 09:50:00',
  med_list_codg: code,
  medins_list_codg: `M${code}`.slice(0, 30),
  det_item_fee_sumamt: amt(Math.round(pric * cnt * 100) / 100),
  cnt: amt(cnt, 4),
  pric: amt(pric, 4),
  sin_dos_dscr: '',
  used_frqu_dscr: '',
  prd_days: '',
  medc_way_dscr: '',
  bilg_dept_codg: 'A03',
  bilg_dept_name: '内科',
  bilg_dr_codg: 'D0001',
  bilg_dr_name: '张医生',
  hosp_appr_flag: '',
  tcmdrug_used_way: '',
  etip_flag: '',
  dscg_tkdrug_flag: '',
  matn_fee_flag: '',
  expContent: {},
  ...extra,
});

const reconcile = (clrType: string): Step => ({
  infno: '3201',
  input: (_v, amt) => ({
    data: { insutype: '310', clr_type: clrType, setl_optins: '440300', stmt_begndate: '2026-11-20', stmt_enddate: '2026-11-20T23:59:59', medfee_sumamt: amt(0), fund_pay_sumamt: amt(0), acct_pay: amt(0), fixmedins_setl_cnt: amt(2, 0), REFD_SETL_FLAG: '1' },
  }),
});

const pharmacyDetail = (amt: (y: number, p?: number) => number | string) => [
  feeLine('R001', 'XJ01CAA040A001', 12.5, 2, amt, { mdtrt_id: undefined, psn_no: undefined, chrg_bchno: 'B1' }),
  feeLine('R002', 'ZC01AAF0010', 36.5, 1, amt, { mdtrt_id: undefined, psn_no: undefined, chrg_bchno: 'B1' }),
];
const drugInfo = (amt: (y: number, p?: number) => number | string) => ({
  psn_no: LIU.psn_no,
  mdtrt_cert_type: '02',
  mdtrt_cert_no: LIU.certno,
  card_sn: '',
  begntime: '2026-11-20 09:58:00',
  medfee_sumamt: amt(61.5),
  insutype: '310',
  med_type: '41',
  acct_used_flag: '1',
  psn_setlway: '01',
  insuplc_admdvs: '440300',
  invono: '',
  fulamt_ownpay_amt: amt(0),
  overlmt_selfpay: amt(0),
  preselfpay_amt: amt(0),
  inscp_scp_amt: amt(61.5),
  expContent: '',
});

/** The chains: pharmacy and outpatient now (every transaction medpos answers); the inpatient chain is one more entry. */
const CHAINS: { name: string; institution: string; steps: Step[] }[] = [
  {
    name: 'pharmacy',
    institution: PHARMACY,
    steps: [
      signIn,
      personInfo,
      { infno: '2101', input: (_v, amt) => ({ druginfo: drugInfo(amt), drugdetail: pharmacyDetail(amt) }), rows: ['detlcutinfo'] },
      {
        infno: '2102',
        input: (_v, amt) => ({ druginfo: drugInfo(amt), drugdetail: pharmacyDetail(amt) }),
        rows: ['detlcutinfo'],
        keep: (o, v) => Object.assign(v, { setl_id: o.setlinfo.setl_id, mdtrt_id: o.setlinfo.mdtrt_id }),
      },
      { infno: '2103', input: (v) => ({ data: { setl_id: v.setl_id, mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, expContent: {} } }) },
      reconcile('41'),
      {
        infno: '3202',
        input: (v, amt) => ({
          data: { setl_optins: '440300', stmt_begndate: '2026-11-20', stmt_enddate: '2026-11-20', file_qury_no: '', details: [{ setl_id: v.setl_id, mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, medfee_sumamt: amt(61.5), fund_pay_sumamt: amt(0), acct_pay: amt(61.5), REFD_SETL_FLAG: '0' }] },
        }),
      },
      { infno: '2601', input: (v) => ({ data: { psn_no: LIU.psn_no, omsgid: v.msgid_2103, oinfno: '2103' } }) },
      { infno: '1312', input: (_v, amt) => ({ data: { hilist_code: 'XJ01CAA040A001', hilist_name: '', insu_admdvs: '440300', page_num: amt(1, 0), page_size: amt(20, 0) } }) },
    ],
  },
  {
    name: 'outpatient',
    institution: HOSPITAL,
    steps: [
      signIn,
      personInfo,
      {
        infno: '2201',
        input: () => ({
          data: { psn_no: LIU.psn_no, insutype: '310', begntime: '2026-11-20T09:40:00', mdtrt_cert_type: '02', mdtrt_cert_no: LIU.certno, card_sn: '', ipt_otp_no: 'MZ2026112000101', atddr_no: 'D0001', dr_name: '张医生', dept_code: 'A03', dept_name: '内科', caty: 'A03', expContent: {} },
        }),
        keep: (o, v) => (v.mdtrt_id = o.data.mdtrt_id),
      },
      {
        infno: '2203',
        input: (v) => ({
          mdtrtinfo: { mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, med_type: '11', begntime: '2026-11-20 09:40:00', main_cond_dscr: '', dise_codg: 'J06.900', dise_name: '急性上呼吸道感染', birctrl_type: '', matn_ald_date: '' },
          diseinfo: [{ psn_no: LIU.psn_no, diag_type: '1', diag_srt_no: '1', diag_code: 'J06.900', diag_name: '急性上呼吸道感染', diag_dept: '内科', dise_dor_no: 'D0001', dise_dor_name: '张医生', diag_time: '2026-11-20 09:45:00', vali_flag: '1' }],
        }),
      },
      {
        infno: '2204',
        input: (v, amt) => ({
          feedetail: [
            feeLine('F1', '002501020150000', 25, 1, amt, { mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, chrg_bchno: 'B1' }),
            feeLine('F2', '001102000010000', 20, 1, amt, { mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, chrg_bchno: 'B1' }),
            feeLine('F3', 'XJ01CAA040A001', 12.5, 2, amt, { mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, chrg_bchno: 'B1' }),
          ],
        }),
        rows: ['result'],
      },
      ...(['2206', '2207'] as const).map(
        (infno): Step => ({
          infno,
          input: (v, amt) => ({
            data: { psn_no: LIU.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: LIU.certno, card_sn: '', med_type: '11', medfee_sumamt: amt(70), psn_setlway: '01', mdtrt_id: v.mdtrt_id, chrg_bchno: 'B1', insutype: '310', acct_used_flag: '1', invono: '', fulamt_ownpay_amt: amt(0), overlmt_selfpay: amt(0), preselfpay_amt: amt(0), inscp_scp_amt: amt(70) },
          }),
          rows: ['setldetail'],
          keep: infno === '2207' ? (o, v) => (v.setl_id = o.setlinfo.setl_id) : undefined,
        }),
      ),
      { infno: '2208', input: (v) => ({ data: { setl_id: v.setl_id, mdtrt_id: v.mdtrt_id, psn_no: LIU.psn_no, expContent: {} } }), rows: ['setldetail'] },
      reconcile('11'),
      { infno: '2205', input: (v) => ({ data: { mdtrt_id: v.mdtrt_id, chrg_bchno: 'B1', psn_no: LIU.psn_no, expContent: {} } }) },
      { infno: '2202', input: (v) => ({ data: { psn_no: LIU.psn_no, mdtrt_id: v.mdtrt_id, ipt_otp_no: 'MZ2026112000101', expContent: {} } }) },
    ],
  },
  {
    // inpatient.md sections 7 and 8: a chronic patient's filings, a med_type 14 visit, eligibility and the queries
    name: 'chronic and queries',
    institution: HOSPITAL,
    steps: [
      { infno: '5301', input: () => ({ data: { psn_no: CAO.psn_no, expContent: {} } }), rows: ['feedetail'] },
      {
        infno: '2503',
        input: () => ({ data: { psn_no: CAO.psn_no, insutype: '390', opsp_dise_code: 'M01600', opsp_dise_name: '', begndate: '2026-11-20', enddate: '', hosp_opnn: '', expContent: {} } }),
        keep: (o, v) => (v.trt_dcla_detl_sn = o.result.trt_dcla_detl_sn),
      },
      { infno: '2001', input: () => ({ data: { psn_no: CAO.psn_no, insutype: '390', med_type: '14', begntime: '2026-11-20T09:40:00', dise_codg: 'M03900', expContent: {} } }), rows: ['trtinfo'] },
      {
        infno: '2201',
        input: () => ({ data: { psn_no: CAO.psn_no, insutype: '390', begntime: '2026-11-20T09:40:00', mdtrt_cert_type: '02', mdtrt_cert_no: CAO.certno, card_sn: '', ipt_otp_no: 'MZ2026112000201', expContent: {} } }),
        keep: (o, v) => (v.mdtrt_id = o.data.mdtrt_id),
      },
      { infno: '2203', input: (v) => ({ mdtrtinfo: { mdtrt_id: v.mdtrt_id, psn_no: CAO.psn_no, med_type: '14', dise_codg: 'M03900', dise_name: '高血压' }, diseinfo: [] }) },
      { infno: '2204', input: (v, amt) => ({ feedetail: [feeLine('F1', 'XC08CAN010A001', 30, 4, amt, { mdtrt_id: v.mdtrt_id, psn_no: CAO.psn_no, chrg_bchno: 'B1' })] }), rows: ['result'] },
      {
        infno: '2207',
        input: (v, amt) => ({
          data: { psn_no: CAO.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: CAO.certno, card_sn: '', med_type: '14', medfee_sumamt: amt(120), psn_setlway: '01', mdtrt_id: v.mdtrt_id, chrg_bchno: '0000', insutype: '390', acct_used_flag: '0' },
        }),
        rows: ['setldetail'],
        keep: (o, v) => (v.setl_id = o.setlinfo.setl_id),
      },
      { infno: '5201', input: () => ({ data: { psn_no: CAO.psn_no, mdtrt_id: '', med_type: '', begntime: '2026-11-20', endtime: '', expContent: {} } }), rows: ['mdtrtinfo'] },
      { infno: '5203', input: (v) => ({ data: { psn_no: CAO.psn_no, setl_id: v.setl_id, mdtrt_id: v.mdtrt_id, expContent: {} } }), rows: ['setldetail'] },
      { infno: '5204', input: (v) => ({ data: { psn_no: CAO.psn_no, mdtrt_id: v.mdtrt_id, setl_id: '', expContent: {} } }), rows: ['feedetail'] },
      { infno: '5206', input: () => ({ data: { psn_no: CAO.psn_no, cum_ym: '202611', expContent: {} } }), rows: ['cuminfo'] },
      { infno: '2504', input: (v) => ({ data: { psn_no: CAO.psn_no, trt_dcla_detl_sn: v.trt_dcla_detl_sn, expContent: {} } }) },
    ],
  },
];

/** The inpatient chain (inpatient.md section 3) for 谢志强: admission, fees with a refund, mid-stay, discharge, final, cancel, and back to no admission. */
const stayLine = (sn: string, code: string, pric: number, cnt: number, amt: (y: number, p?: number) => number | string, v: Vars, init = '') =>
  feeLine(sn, code, pric, cnt, amt, { mdtrt_id: v.mdtrt_id, psn_no: XIE.psn_no, init_feedetl_sn: init, det_item_fee_sumamt: amt(Math.round(pric * cnt * 100) / 100) });
/** The family's inputs come without the `data` wrapper. */
const dataOf = (family: boolean, fields: Record<string, unknown>) => (family ? fields : { data: fields });
const staySettle = (infno: '2303' | '2304', mid: '0' | '1', total: number, keep?: Step['keep']): Step => ({
  infno,
  input: (v, amt, family) =>
    dataOf(family, {
      psn_no: XIE.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: XIE.certno, card_sn: '', medfee_sumamt: amt(total), psn_setlway: '01', mdtrt_id: v.mdtrt_id, insutype: '310', acct_used_flag: '1', mid_setl_flag: mid, invono: '', fulamt_ownpay_amt: amt(0), overlmt_selfpay: amt(0), preselfpay_amt: amt(0), inscp_scp_amt: amt(total),
      ...(mid === '0' ? { [family ? 'dscgTime' : 'dscg_time']: '2026-11-19 10:00:00' } : {}),
    }),
  rows: ['setldetail'],
  keep,
});
/** 2401, the admission (a first one is cancelled by 2404 at once, as a ward does when it admitted the wrong patient). */
const admit: Step = {
  infno: '2401',
  input: () => ({
    mdtrtinfo: { psn_no: XIE.psn_no, insutype: '310', coner_name: '', tel: '', begntime: '2026-11-10T09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: XIE.certno, card_sn: '', med_type: '21', ipt_no: 'ZY2026111000001', medrcdno: '', atddr_no: 'D0001', chfpdr_name: '张医生', adm_diag_dscr: '', adm_dept_codg: 'A03', adm_dept_name: '外科', adm_bed: '12', dscg_maindiag_code: '', dscg_maindiag_name: '', main_cond_dscr: '', dise_codg: 'K80.200', dise_name: '胆囊结石', oprn_oprt_code: '', oprn_oprt_name: '', fpsc_no: '', matn_type: '', birctrl_type: '', latechb_flag: '', geso_val: '', fetts: '', fetus_cnt: '', pret_flag: '', birctrl_matn_date: '', dise_type_code: '', expContent: {} },
    diseinfo: [{ psn_no: XIE.psn_no, diag_type: '1', maindiag_flag: '1', diag_srt_no: '1', diag_code: 'K80.200', diag_name: '胆囊结石', adm_cond: '', diag_dept: '外科', dise_dor_no: 'D0001', dise_dor_name: '张医生', diag_time: '2026-11-10 09:10:00' }],
  }),
  keep: (o, v) => (v.mdtrt_id = o.result.mdtrt_id),
};
CHAINS.push({
  name: 'inpatient',
  institution: HOSPITAL,
  steps: [
    signIn,
    admit,
    { infno: '2404', input: (v, _amt, family) => dataOf(family, { mdtrt_id: v.mdtrt_id, psn_no: XIE.psn_no, expContent: {} }) },
    admit,
    { infno: '2403', input: (v, _amt, family) => ({ [family ? 'mdtrtinfo' : 'adminfo']: { mdtrt_id: v.mdtrt_id, psn_no: XIE.psn_no, med_type: '21', begntime: '2026-11-10 09:00:00', ipt_no: 'ZY2026111000001', expContent: {} } }) },
    { infno: '2301', input: (v, amt) => ({ feedetail: [stayLine('1', '110200001000000', 50, 10, amt, v), stayLine('2', '002101030010000', 250, 4, amt, v)] }), rows: ['result'] },
    staySettle('2303', '1', 1500),
    staySettle('2304', '1', 1500),
    {
      infno: '2301',
      input: (v, amt) => ({ feedetail: [stayLine('3', '331000000010000', 2000, 1, amt, v), stayLine('4', '002503010010000', 100, 3, amt, v), stayLine('5', '002503010010000', 100, -1, amt, v, '4')] }),
      rows: ['result'],
    },
    { infno: '2302', input: (v, _amt, family) => dataOf(family, { mdtrt_id: v.mdtrt_id, psn_no: XIE.psn_no, feedetl_sn: '5', expContent: {} }) },
    { infno: '2402', input: (v, _amt, family) => ({ [family ? 'mdtrtinfo' : 'dscginfo']: { mdtrt_id: v.mdtrt_id, psn_no: XIE.psn_no, endtime: '2026-11-19T10:00:00', insutype: '310', dscg_way: '1', dscg_dept_codg: 'A03', dscg_dept_name: '外科', expContent: {} }, diseinfo: [] }) },
    staySettle('2303', '0', 2300),
    staySettle('2304', '0', 2300, (o, v) => (v.setl_id = o.setlinfo.setl_id)),
    { infno: '2305', input: (v, _amt, family) => dataOf(family, { mdtrt_id: v.mdtrt_id, setl_id: v.setl_id, psn_no: XIE.psn_no, expContent: {} }), rows: ['setldetail'] },
    reconcile('21'),
    { infno: '2405', input: (v, _amt, family) => dataOf(family, { mdtrt_id: v.mdtrt_id, psn_no: XIE.psn_no, expContent: {} }) },
  ],
});

const servers: GatewayServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

let msgSeq = 0;
function envelopeOf(infno: string, institution: string, input: Record<string, unknown>, v: Vars) {
  msgSeq += 1;
  // the envelope keys real clients send, the spec's and the others
  return {
    infno,
    msgid: `${institution}20261120100000${String(msgSeq).padStart(4, '0')}`,
    mdtrtarea_admvs: '440300',
    insuplc_admdvs: '440300',
    recer_sys_code: 'MBS_LOCAL',
    dev_no: '',
    dev_safe_info: '',
    cainfo: '',
    signtype: '',
    infver: msgSeq % 2 ? 'V1.0' : '1.0',
    opter_type: '1',
    opter: 'D01',
    opter_name: '收费员甲',
    inf_time: msgSeq % 2 ? '2026-11-20 10:00:00' : '2026-11-20T10:00:00',
    fixmedins_code: institution,
    fixmedins_name: institution === HOSPITAL ? '示范市福田区人民医院' : '示范大药房（莲花店）',
    sign_no: v.sign_no ?? '',
    fixmedins_soft_fcty: 'conformance-suite',
    app_id: '',
    enc_type: '',
    recer_admdvs: '440300',
    departname: '门诊收费处',
    input,
  };
}

for (const variant of VARIANTS) {
  describe(`conformance: ${variant.name}`, () => {
    for (const chain of CHAINS) {
      it(`${chain.name}: every field clients read is present with its type`, async () => {
        const gw = await startGateway({ world: variant.world === 'demo' ? 'fixtures/worlds/demo' : enrichedWorld() });
        servers.push(gw);
        const amt = (yuan: number, places = 2) => (variant.strings ? yuan.toFixed(places) : yuan);
        const vars: Vars = {};
        const answers: Record<string, any> = {};
        for (const step of chain.steps) {
          const env = envelopeOf(step.infno, chain.institution, step.input(vars, amt, variant.strings), vars);
          const text = JSON.stringify(env);
          const [body, type] =
            variant.body === 'gbk' ? [iconv.encode(text, 'gbk'), 'application/json;charset=GBK'] : variant.body === 'text' ? [Buffer.from(text), 'text/plain'] : [Buffer.from(text), 'application/json;charset=utf-8'];
          const r = await post(variant.perInfnoPath ? `${gw.url}/${step.infno}` : gw.url, body, { 'content-type': type });
          expect(r.status, step.infno).toBe(200);
          expect(checkAnswer(step.infno, r.json, { nonEmptyLists: step.rows }), `${step.infno}: ${r.text.slice(0, 300)}`).toEqual([]);
          answers[step.infno] = r.json.output;
          vars[`msgid_${step.infno}`] = env.msgid;
          step.keep?.(r.json.output, vars);
        }
        if (chain.name === 'chronic and queries') {
          expect(answers['5203'].setlinfo).toEqual({ ...answers['2207'].setlinfo, cancel_setl_id: null });
          expect(answers['5204'].feedetail[0]).toMatchObject(answers['2204'].result[0]);
          return;
        }
        // values the section names, beyond types
        if (chain.name === 'inpatient') {
          expect(answers['2303'].setlinfo.setl_id).toBeNull();
          expect(answers['2303'].setlinfo).toMatchObject({ clr_type: '21', med_type: '21', mid_setl_flag: '0' });
          expect(answers['2305'].setldetail.map((d: any) => d.fund_payamt)).toEqual(answers['2304'].setldetail.map((d: any) => -d.fund_payamt));
          expect(answers['2301'].result.map((l: any) => l.cnt)).toEqual([1, 3, -1]);
        } else {
          const trial = answers[chain.name === 'pharmacy' ? '2101' : '2206'];
          expect(trial.setlinfo.setl_id).toBeNull();
          const cancel = answers[chain.name === 'pharmacy' ? '2103' : '2208'];
          expect(cancel.setlinfo.pdn_cash_pay).toBe(cancel.setlinfo.psn_cash_pay);
          const settle = answers[chain.name === 'pharmacy' ? '2102' : '2207'];
          expect(cancel.setldetail.map((d: any) => d.fund_payamt)).toEqual(settle.setldetail.map((d: any) => -d.fund_payamt));
          expect(answers['1101'].baseinfo.psn_name).toBe(LIU.name); // a GBK body decoded as GBK
          const lines = answers['2204']?.result ?? answers['2102'].detlcutinfo;
          const amoxicillin = lines.find((l: any) => l.feedetl_sn === 'F3' || l.feedetl_sn === 'R001');
          expect(amoxicillin).toMatchObject({ med_chrgitm_type: '09', bas_medn_flag: variant.world === 'enriched' ? '1' : '0', memo: '' });
          if (chain.name === 'outpatient') expect(lines.find((l: any) => l.feedetl_sn === 'F2').med_chrgitm_type).toBe('14'); // list_type 201
        }
        if (variant.world === 'enriched' && answers['1101']) {
          expect(answers['1101'].insuinfo[0]).toMatchObject({ psn_insu_date: '2012-07-01', paus_insu_date: null, cvlserv_flag: '0' });
          expect(answers['1101'].idetinfo).toHaveLength(1);
        }
      });
    }
  });
}
