/**
 * The settlement arithmetic of shared/spec/settlement.md sections 3 to 5, as pure functions in
 * integer fen: (world, person state, bill) -> split. No I/O, no clock: the caller passes the date.
 */
import { applyRatio, lineAmount, mulDivHalfUp, type Fen, type Ratio4 } from './money.ts';
import type { CatalogItem, Institution, Person, Policy, RatioTable, WorldIndex } from './world.ts';

/** A refusal: the request is answered with infcode -1 and nothing is written. */
export class Refusal extends Error {
  constructor(
    readonly err_code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export interface FeeLine {
  feedetl_sn: string;
  med_list_codg: string;
  /** Price and count, scaled by 10 000. */
  pricE4: number;
  cntE4: number;
  /** det_item_fee_sumamt, as sent. */
  amount: Fen;
  hosp_appr_flag?: string | null | undefined;
}

export interface LineSplit {
  feedetl_sn: string;
  amount: Fen;
  fulamt_ownpay_amt: Fen;
  overlmt_amt: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
  chrgitm_lv: '01' | '02' | '03';
  selfpay_prop: Ratio4;
  pric_uplmt_amt: Fen | null;
  lmt_used_flag: '0' | '1';
}

export function isValidOn(item: CatalogItem, date: string): boolean {
  return item.begndate <= date && (item.enddate === null || date <= item.enddate);
}

/** Section 3: one line's split, with the catalog row of its code (undefined when not in the catalog). */
export function splitLine(line: FeeLine, item: CatalogItem | undefined, date: string): LineSplit {
  if (line.pricE4 <= 0 || line.cntE4 <= 0) throw new Refusal('line_not_positive', `line ${line.feedetl_sn}: price and count must be positive`);
  const amount = line.amount;
  const expected = lineAmount(line.pricE4, line.cntE4);
  if (expected !== amount) {
    throw new Refusal('line_amount_mismatch', `line ${line.feedetl_sn}: det_item_fee_sumamt ${yuanText(amount)} is not price x count (${yuanText(expected)})`);
  }
  const covered =
    item !== undefined &&
    item.chrgitm_lv !== '03' &&
    isValidOn(item, date) &&
    !(item.lmt_used_flag === '1' && line.hosp_appr_flag !== '1');
  const cap = item?.hilist_pric_uplmt_amt ?? null;
  let overlmt = 0;
  let preselfpay = 0;
  if (covered) {
    // The part of the price above the cap, times the count; cap is fen, price is yuan x 1e4.
    const overPricE4 = cap === null ? 0 : Math.max(0, line.pricE4 - cap * 100);
    overlmt = Math.min(amount, mulDivHalfUp(overPricE4, line.cntE4, 1_000_000));
    preselfpay = applyRatio(amount - overlmt, item.selfpay_prop);
  }
  return {
    feedetl_sn: line.feedetl_sn,
    amount,
    fulamt_ownpay_amt: covered ? 0 : amount,
    overlmt_amt: overlmt,
    preselfpay_amt: preselfpay,
    inscp_scp_amt: covered ? amount - overlmt - preselfpay : 0,
    chrgitm_lv: item?.chrgitm_lv ?? '03',
    selfpay_prop: item?.selfpay_prop ?? 0,
    pric_uplmt_amt: cap,
    lmt_used_flag: item?.lmt_used_flag ?? '0',
  };
}

export type Payer = { kind: 'own' } | { kind: 'holder'; holderPsnNo: string };

export interface SettleRequest {
  institution: Institution;
  patient: Person;
  insutype: string;
  med_type: string;
  lines: LineSplit[];
  medfee_sumamt: Fen;
  acctUsed: boolean;
  payer: Payer;
}

/** What the ledger knows that the bill draws on: balances and this year's counters. */
export interface AccountState {
  /** Personal-account balances of the patient and of every possible donor. */
  balances: ReadonlyMap<string, Fen>;
  dedcUsed: Fen;
  fundUsed: Fen;
}

export interface Debit {
  psn_no: string;
  role: 'own' | 'mulaid';
  amount: Fen;
}

export interface Split {
  medfee_sumamt: Fen;
  fulamt_ownpay_amt: Fen;
  overlmt_selfpay: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
  act_pay_dedc: Fen;
  hifp_pay: Fen;
  pool_prop_selfpay: Ratio4;
  fund_pay_sumamt: Fen;
  psn_part_amt: Fen;
  acct_pay: Fen;
  acct_mulaid_pay: Fen;
  psn_cash_pay: Fen;
  /** The patient's own balance after. */
  balc: Fen;
  /** Annual pooled-fund cap still payable after this settlement (null without pooling). */
  crt_payb_lmt_amt: Fen | null;
  pooled: boolean;
  debits: Debit[];
}

export const MED_TYPES_AT = { pharmacy: ['41'], hospital: ['11', '14'] } as const;

export function checkMedType(institution: Institution, medType: string): void {
  const allowed: readonly string[] = MED_TYPES_AT[institution.fixmedins_type];
  if (!allowed.includes(medType)) {
    throw new Refusal(
      'med_type_not_allowed',
      `med_type ${medType} is not allowed at a ${institution.fixmedins_type} (allowed: ${allowed.join(', ')})`,
    );
  }
}

export function activeInsurance(person: Person, insutype: string) {
  const ins = person.insuinfo.find((i) => i.insutype === insutype);
  if (!ins) throw new Refusal('insurance_inactive', `person ${person.baseinfo.psn_no} has no insurance ${insutype}`);
  if (ins.psn_insu_stas !== '1') {
    throw new Refusal('insurance_inactive', `insurance ${insutype} of person ${person.baseinfo.psn_no} is not active (psn_insu_stas ${ins.psn_insu_stas})`);
  }
  return ins;
}

/** Does the pooled fund pay at this institution (always at hospitals; at pharmacies if the policy says so)? */
export function isPooled(world: WorldIndex, institution: Institution): boolean {
  return institution.fixmedins_type === 'hospital' || world.policy.pharmacy_pooling;
}

/** The pooled-fund ratio for (psn_type, hosp_lv): by psn_type, falling back to "default". */
export function poolRatio(policy: Policy, insutype: string, psnType: string, hospLv: string): Ratio4 {
  return ratioOf(policy.insutype[insutype]?.ratio, psnType, hospLv, `the policy has no pooled-fund ratio for insutype ${insutype}`);
}

/** A ratio of a table by psn_type (else "default"), then hosp_lv. */
export function lookupRatio(table: RatioTable | undefined, psnType: string, hospLv: string): Ratio4 | undefined {
  return (table?.[psnType] ?? table?.default)?.[hospLv as '1' | '2' | '3'];
}

/** As lookupRatio; a missing ratio is refused ratio_missing, the message starting with `what`. */
export function ratioOf(table: RatioTable | undefined, psnType: string, hospLv: string, what: string): Ratio4 {
  const r = lookupRatio(table, psnType, hospLv);
  if (r === undefined) throw new Refusal('ratio_missing', `${what}, psn_type ${psnType}, hosp_lv ${hospLv}`);
  return r;
}

/** The relation by which `holder` bound `relativePsnNo`, if the policy allows it for mutual aid. */
export function boundRelation(policy: Policy, holder: Person, relativePsnNo: string): string | undefined {
  const bond = holder.family?.find((f) => f.psn_no === relativePsnNo);
  return bond && (policy.mulaid_relations as string[]).includes(bond.relation) ? bond.relation : undefined;
}

/** A personal account can be spent only while its employee insurance (310) is active. */
export function hasActiveAccount(person: Person): boolean {
  return person.insuinfo.some((i) => i.insutype === '310' && i.psn_insu_stas === '1');
}

/** Donors who bound the patient and can give, in the order of persons.json (section 5, own-card flow). */
export function donorsFor(world: WorldIndex, patientPsnNo: string): readonly string[] {
  return donorIndex(world).get(patientPsnNo) ?? [];
}

/** Every patient's donors, worked out in one pass over the persons the first time a world is asked (a world never changes under its index). */
function donorIndex(world: WorldIndex): ReadonlyMap<string, readonly string[]> {
  let index = donorMemo.get(world);
  if (!index) {
    const byPatient = new Map<string, string[]>();
    for (const donor of world.data.persons) {
      if (!hasActiveAccount(donor)) continue;
      const own = donor.baseinfo.psn_no;
      for (const patient of new Set((donor.family ?? []).map((f) => f.psn_no))) {
        if (patient === own || boundRelation(world.policy, donor, patient) === undefined) continue;
        const donors = byPatient.get(patient);
        if (donors) donors.push(own);
        else byPatient.set(patient, [own]);
      }
    }
    donorMemo.set(world, (index = byPatient));
  }
  return index;
}
const donorMemo = new WeakMap<WorldIndex, ReadonlyMap<string, readonly string[]>>();

/**
 * What the pooled fund of a settlement draws on: by default the outpatient deductible, cap and ratios
 * of the insutype; a chronic disease's own (inpatient.md section 7) for med_type 14 under `chronic`.
 */
export interface PoolBucket {
  deductible: Fen;
  cap: Fen;
  ratio: RatioTable;
  /** Names the bucket in a ratio_missing refusal. */
  what: string;
}

export interface LineSums {
  medfee_sumamt: Fen;
  fulamt_ownpay_amt: Fen;
  overlmt_selfpay: Fen;
  preselfpay_amt: Fen;
  inscp_scp_amt: Fen;
}

/** Sums over a settlement's lines (refund lines count with their signs), checked against `medfee_sumamt`. */
export function sumLines(lines: readonly LineSplit[], medfeeSumamt: Fen): LineSums {
  let medfee = 0;
  let fulamt = 0;
  let overlmt = 0;
  let preselfpay = 0;
  let inscp = 0;
  for (const l of lines) {
    medfee += l.amount;
    fulamt += l.fulamt_ownpay_amt;
    overlmt += l.overlmt_amt;
    preselfpay += l.preselfpay_amt;
    inscp += l.inscp_scp_amt;
  }
  if (medfee !== medfeeSumamt) {
    throw new Refusal('sum_mismatch', `medfee_sumamt ${yuanText(medfeeSumamt)} is not the sum of the lines (${yuanText(medfee)})`);
  }
  return { medfee_sumamt: medfee, fulamt_ownpay_amt: fulamt, overlmt_selfpay: overlmt, preselfpay_amt: preselfpay, inscp_scp_amt: inscp };
}

/** Sections 4 and 5: the split of one settlement. */
export function computeSplit(world: WorldIndex, req: SettleRequest, state: AccountState, bucket?: PoolBucket): Split {
  const { institution, patient, insutype } = req;
  const policy = world.policy;
  checkMedType(institution, req.med_type);
  const ins = activeInsurance(patient, insutype);
  if (req.lines.length === 0) throw new Refusal('no_fee_lines', 'the settlement has no fee lines');
  const sums = sumLines(req.lines, req.medfee_sumamt);
  const inscp = sums.inscp_scp_amt;

  const pooled = isPooled(world, institution);
  let dedc = 0;
  let hifp = 0;
  let ratio: Ratio4 = 0;
  let capLeftAfter: Fen | null = null;
  if (pooled) {
    const rules = bucket ?? policy.insutype[insutype];
    if (!rules) throw new Refusal('ratio_missing', `the policy has no rules for insutype ${insutype}`);
    const hospLv = institution.fixmedins_type === 'hospital' ? institution.hosp_lv! : '1';
    const r = lookupRatio(rules.ratio, ins.psn_type, hospLv);
    if (r === undefined) {
      const what = bucket?.what ?? `the policy has no pooled-fund ratio for insutype ${insutype}`;
      throw new Refusal('ratio_missing', `${what}, psn_type ${ins.psn_type}, hosp_lv ${hospLv}`);
    }
    ratio = r;
    dedc = Math.min(inscp, Math.max(0, rules.deductible - state.dedcUsed));
    const capLeft = Math.max(0, rules.cap - state.fundUsed);
    hifp = Math.min(applyRatio(inscp - dedc, ratio), capLeft);
    capLeftAfter = capLeft - hifp;
  }

  const psnPart = sums.medfee_sumamt - hifp;
  const paid = payFromAccounts(world, req, psnPart, sums, state.balances);
  // one literal, no spread: this runs for every settlement
  return {
    medfee_sumamt: sums.medfee_sumamt,
    fulamt_ownpay_amt: sums.fulamt_ownpay_amt,
    overlmt_selfpay: sums.overlmt_selfpay,
    preselfpay_amt: sums.preselfpay_amt,
    inscp_scp_amt: inscp,
    act_pay_dedc: dedc,
    hifp_pay: hifp,
    pool_prop_selfpay: ratio,
    fund_pay_sumamt: hifp,
    psn_part_amt: psnPart,
    acct_pay: paid.acct_pay,
    acct_mulaid_pay: paid.acct_mulaid_pay,
    psn_cash_pay: paid.psn_cash_pay,
    balc: paid.balc,
    crt_payb_lmt_amt: capLeftAfter,
    pooled,
    debits: paid.debits,
  };
}

export interface AccountPayment {
  acct_pay: Fen;
  acct_mulaid_pay: Fen;
  psn_cash_pay: Fen;
  /** The patient's own balance after. */
  balc: Fen;
  debits: Debit[];
}

/** Section 4 steps 5 to 7: what of the personal part the accounts pay (own, then mutual aid), and cash. */
export function payFromAccounts(
  world: WorldIndex,
  req: Pick<SettleRequest, 'patient' | 'acctUsed' | 'payer'>,
  psnPart: Fen,
  sums: Pick<LineSums, 'fulamt_ownpay_amt' | 'overlmt_selfpay'>,
  balances: ReadonlyMap<string, Fen>,
): AccountPayment {
  const { patient } = req;
  const eligible = !req.acctUsed
    ? 0
    : Math.max(0, world.policy.acct_pays_selfpay_items ? psnPart : psnPart - sums.fulamt_ownpay_amt - sums.overlmt_selfpay);

  const debits: Debit[] = [];
  let left = eligible;
  const ownBefore = balances.get(patient.baseinfo.psn_no) ?? 0;
  if (req.payer.kind === 'own' && hasActiveAccount(patient)) {
    const own = Math.min(left, ownBefore);
    if (own > 0) debits.push({ psn_no: patient.baseinfo.psn_no, role: 'own', amount: own });
    left -= own;
  }
  const holder = req.payer.kind === 'holder' ? world.persons.get(req.payer.holderPsnNo) : undefined;
  const donors = req.payer.kind === 'own' ? donorsFor(world, patient.baseinfo.psn_no) : holder && hasActiveAccount(holder) ? [holder.baseinfo.psn_no] : [];
  for (const donor of donors) {
    if (left === 0) break;
    const give = Math.min(left, balances.get(donor) ?? 0);
    if (give > 0) debits.push({ psn_no: donor, role: 'mulaid', amount: give });
    left -= give;
  }
  const acctPay = eligible - left;
  const mulaid = debits.filter((d) => d.role === 'mulaid').reduce((s, d) => s + d.amount, 0);
  return { acct_pay: acctPay, acct_mulaid_pay: mulaid, psn_cash_pay: psnPart - acctPay, balc: ownBefore - (acctPay - mulaid), debits };
}

export function yuanText(fen: Fen): string {
  return (fen / 100).toFixed(2);
}
