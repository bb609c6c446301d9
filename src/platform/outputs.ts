/**
 * What the platform answers (clients.md section 1): pure views of records, lines and persons, every
 * field real clients read present with its type whatever the world file leaves out.
 */
import { fundName } from '../core/funds.ts';
import { fenToYuan, ratioToNumber, type Fen } from '../core/money.ts';
import type { LineSplit, Split } from '../core/settle.ts';
import { MED_CHRGITM_TYPE_OF_LIST_TYPE, type CatalogItem, type Person, type WorldIndex } from '../core/world.ts';
import type { SettlementFund, SettlementRecord } from '../ledger/records.ts';

const money = (fen: Fen) => fenToYuan(fen);
const e4 = (n: number) => n / 10_000;

/** Whole years from brdy to date, both yyyy-MM-dd. */
export function age(brdy: string, date: string): number {
  const years = Number(date.slice(0, 4)) - Number(brdy.slice(0, 4));
  return date.slice(5) < brdy.slice(5) ? years - 1 : years; // MM-dd compares as text
}

// --- settlements and lines --------------------------------------------------------------------------------

/** A line's answer (2204 result, 2101/2102 detlcutinfo); the flags come from its catalog item. */
export function lineResult(l: LineSplit, row: { pricE4: number; cntE4: number }, item: CatalogItem | undefined) {
  return {
    feedetl_sn: l.feedetl_sn,
    det_item_fee_sumamt: money(l.amount),
    cnt: e4(row.cntE4),
    pric: e4(row.pricE4),
    pric_uplmt_amt: l.pric_uplmt_amt === null ? null : money(l.pric_uplmt_amt),
    selfpay_prop: ratioToNumber(l.selfpay_prop),
    fulamt_ownpay_amt: money(l.fulamt_ownpay_amt),
    overlmt_amt: money(l.overlmt_amt),
    preselfpay_amt: money(l.preselfpay_amt),
    inscp_scp_amt: money(l.inscp_scp_amt),
    chrgitm_lv: l.chrgitm_lv,
    lmt_used_flag: l.lmt_used_flag,
    med_chrgitm_type: item?.med_chrgitm_type ?? (item ? (MED_CHRGITM_TYPE_OF_LIST_TYPE[item.list_type] ?? '14') : '14'),
    bas_medn_flag: item?.bas_medn_flag ?? '0',
    hi_nego_drug_flag: item?.hi_nego_drug_flag ?? '0',
    chld_medc_flag: item?.chld_medc_flag ?? '0',
    list_sp_item_flag: item?.list_sp_item_flag ?? '0',
    drt_reim_flag: item?.drt_reim_flag ?? '0',
    memo: '',
  };
}


export function setlDetail(insutype: string, s: Pick<Split, 'hifp_pay' | 'inscp_scp_amt' | 'crt_payb_lmt_amt'>) {
  if (s.hifp_pay === 0) return [];
  const type = `${insutype}100`;
  return [
    {
      fund_pay_type: type,
      inscp_scp_amt: money(s.inscp_scp_amt),
      crt_payb_lmt_amt: s.crt_payb_lmt_amt === null ? null : money(s.crt_payb_lmt_amt),
      fund_payamt: money(s.hifp_pay),
      fund_pay_type_name: fundName(type),
      setl_proc_info: '',
    },
  ];
}

/** A settlement record, or the one a pre-settlement would write (without its ids). */
export type RecordFacts = Omit<SettlementRecord, 'setl_id' | 'mdtrt_id'> & { setl_id?: string; mdtrt_id?: string };

/**
 * The platform's setlinfo: a view of a settlement record and its person, nothing more, so that what a
 * caller is told and what the ledger keeps cannot differ.
 */
export function setlInfo(world: WorldIndex, r: RecordFacts) {
  const p = world.persons.get(r.psn_no)!; // a record names a person of its ledger's world
  const b = p.baseinfo;
  const undoes = r.kind !== 'settle';
  // one literal (no spread) keeps V8 on its fast path; undefined members are absent from the JSON
  return {
    setl_id: r.setl_id ?? null, // a trial settles nothing: the key is there, null
    init_setl_id: undoes ? r.init_setl_id : undefined,
    mdtrt_id: r.mdtrt_id ?? null,
    psn_no: b.psn_no,
    psn_name: b.psn_name,
    psn_cert_type: b.psn_cert_type,
    certno: b.certno,
    gend: b.gend,
    naty: b.naty,
    brdy: b.brdy,
    age: age(b.brdy, r.setl_date),
    insutype: r.insutype,
    psn_type: r.psn_type,
    cvlserv_flag: p.insuinfo.find((i) => i.insutype === r.insutype)?.cvlserv_flag ?? '0',
    setl_time: r.setl_time,
    mdtrt_cert_type: r.mdtrt_cert_type,
    med_type: r.med_type,
    medfee_sumamt: money(r.medfee_sumamt),
    fulamt_ownpay_amt: money(r.fulamt_ownpay_amt),
    overlmt_selfpay: money(r.overlmt_selfpay),
    preselfpay_amt: money(r.preselfpay_amt),
    inscp_scp_amt: money(r.inscp_scp_amt),
    act_pay_dedc: money(r.act_pay_dedc),
    hifp_pay: money(r.hifp_pay),
    fund_pay_sumamt: money(r.fund_pay_sumamt),
    psn_part_amt: money(r.psn_part_amt),
    acct_pay: money(r.acct_pay),
    acct_mulaid_pay: money(r.acct_mulaid_pay),
    psn_cash_pay: money(r.psn_cash_pay),
    pdn_cash_pay: undoes ? money(r.psn_cash_pay) : undefined, // the interface's own misspelling, which clients read on cancellations
    pool_prop_selfpay: ratioToNumber(r.pool_prop_selfpay),
    cvlserv_pay: money(r.cvlserv_pay ?? 0),
    hifes_pay: 0,
    hifmi_pay: money(r.hifmi_pay ?? 0),
    hifob_pay: money(r.hifob_pay ?? 0),
    hifdm_pay: 0,
    maf_pay: money(r.maf_pay ?? 0),
    oth_pay: 0,
    hosp_part_amt: 0,
    balc: money(r.balc),
    medins_setl_id: r.msgid,
    clr_optins: r.clr_optins,
    clr_way: '1',
    clr_type: r.clr_type,
    refd_setl_flag: undoes ? '1' : undefined,
    mid_setl_flag: r.mid_setl_flag ?? undefined, // inpatient records only
  };
}

/** setldetail rows as stored (an inpatient record's funds, in order). */
export function fundRows(rows: readonly SettlementFund[]) {
  return rows.map((f) => ({
    fund_pay_type: f.fund_pay_type,
    inscp_scp_amt: money(f.inscp_scp_amt),
    crt_payb_lmt_amt: f.cap_left_after === null ? null : money(f.cap_left_after),
    fund_payamt: money(f.fund_payamt),
    fund_pay_type_name: f.fund_pay_type_name,
    setl_proc_info: '',
  }));
}

/** 1101's answer: the person as the world has them, every key clients read present. */
export function personAnswer(p: Person, date: string, balance: Fen) {
  const b = p.baseinfo;
  return {
    baseinfo: { ...b, age: age(b.brdy, date) },
    // every key clients read, whatever the world file leaves out (defaults: fixtures/worlds/README.md)
    insuinfo: p.insuinfo.map((i) => ({
      ...i,
      balc: i.insutype === '310' ? money(balance) : 0,
      emp_name: i.emp_name ?? '',
      cvlserv_flag: i.cvlserv_flag ?? '0',
      psn_insu_date: i.psn_insu_date ?? null,
      paus_insu_date: i.paus_insu_date ?? null,
    })),
    idetinfo: p.idetinfo.map((d) => ({ psn_idet_type: d.psn_idet_type, psn_type_lv: d.psn_type_lv ?? '', memo: d.memo ?? '', begntime: d.begntime, endtime: d.endtime ?? null })),
  };
}
