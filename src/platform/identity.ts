/** Who is the patient, and whose account pays: settlement.md section 5. */
import { boundRelation, Refusal, type Payer } from '../core/settle.ts';
import type { Card, Person, WorldIndex } from '../core/world.ts';
import { maskCardNo } from '../core/mask.ts';

export interface Presented {
  mdtrt_cert_type: '01' | '02' | '03';
  mdtrt_cert_no: string;
  card_sn?: string | undefined;
  certno?: string | undefined;
  psn_name?: string | undefined;
}

export interface Identified {
  patient: Person;
  /** The card's or certificate's owner; for the holder's-card flow, the holder. */
  owner: Person;
  payer: Payer;
  card?: Card;
}

/** Resolves an e-certificate token to its person; supplied by the e-certificate service. */
export type TokenResolver = (token: string) => Promise<Person>;

function person(world: WorldIndex, psnNo: string): Person {
  const p = world.persons.get(psnNo);
  if (!p) throw new Refusal('person_unknown', `no insured person ${psnNo}`);
  return p;
}

/** The physical card checks: known, not lost or frozen, not expired on `date`, genuine. */
export function checkCard(world: WorldIndex, cardNo: string, date: string, cardSn?: string): Card {
  const card = world.cards.get(cardNo);
  const shown = maskCardNo(cardNo);
  if (!card) throw new Refusal('card_unknown', `card ${shown} is not known to the platform`);
  if (card.status === 'lost') throw new Refusal('card_lost', `card ${shown} has been reported lost`);
  if (card.status === 'frozen') throw new Refusal('card_frozen', `card ${shown} is frozen`);
  if (card.expiry_date < date) throw new Refusal('card_expired', `card ${shown} expired on ${card.expiry_date}`);
  if (cardSn !== undefined && cardSn !== '' && cardSn.toUpperCase() !== card.card_sn.toUpperCase()) {
    throw new Refusal('card_forged', `card ${shown}: the card identification code does not match the platform's (forged card)`);
  }
  return card;
}

/** 1101: whose card or certificate is this, and who is the patient? */
export async function identify(world: WorldIndex, shown: Presented, date: string, tokens: TokenResolver): Promise<Identified> {
  if (shown.mdtrt_cert_type === '01') {
    const p = await tokens(shown.mdtrt_cert_no);
    return { patient: p, owner: p, payer: { kind: 'own' } };
  }
  if (shown.mdtrt_cert_type === '02') {
    const p = world.personsByCertno.get(shown.mdtrt_cert_no.toUpperCase());
    if (!p) throw new Refusal('person_unknown', 'no insured person has that ID number');
    if (shown.psn_name && shown.psn_name !== p.baseinfo.psn_name) throw new Refusal('name_mismatch', 'the name does not match the ID number');
    return { patient: p, owner: p, payer: { kind: 'own' } };
  }
  const card = checkCard(world, shown.mdtrt_cert_no, date, shown.card_sn);
  const owner = person(world, card.psn_no);
  const certno = shown.certno?.toUpperCase();
  if (!certno || certno === owner.baseinfo.certno.toUpperCase()) {
    if (shown.psn_name && shown.psn_name !== owner.baseinfo.psn_name) {
      throw new Refusal('card_forged', "the name read from the card does not match the platform's record (forged card)");
    }
    return { patient: owner, owner, payer: { kind: 'own' }, card };
  }
  const other = world.personsByCertno.get(certno);
  if (!other) throw new Refusal('card_forged', "the ID number read from the card matches nobody on the platform (forged card)");
  if (boundRelation(world.policy, owner, other.baseinfo.psn_no) === undefined) {
    throw new Refusal('impersonation', 'the card belongs to someone else, who has not bound this patient for family mutual aid');
  }
  if (shown.psn_name && shown.psn_name !== other.baseinfo.psn_name) throw new Refusal('name_mismatch', 'the name does not match the ID number');
  return { patient: other, owner, payer: { kind: 'holder', holderPsnNo: owner.baseinfo.psn_no }, card };
}

/** 2101/2102/2201/2206/2207: the certificate presented for `psnNo`, and who pays. */
export async function identifyFor(world: WorldIndex, psnNo: string, shown: Presented, date: string, tokens: TokenResolver): Promise<Identified> {
  const patient = person(world, psnNo);
  if (shown.mdtrt_cert_type === '03') {
    const card = checkCard(world, shown.mdtrt_cert_no, date, shown.card_sn);
    const owner = person(world, card.psn_no);
    if (owner === patient) return { patient, owner, payer: { kind: 'own' }, card };
    if (boundRelation(world.policy, owner, psnNo) === undefined) {
      throw new Refusal('impersonation', 'the card belongs to someone else, who has not bound this patient for family mutual aid');
    }
    return { patient, owner, payer: { kind: 'holder', holderPsnNo: owner.baseinfo.psn_no }, card };
  }
  const { owner } = await identify(world, shown, date, tokens);
  if (owner !== patient) throw new Refusal('cert_mismatch', `the certificate presented does not belong to person ${psnNo}`);
  return { patient, owner, payer: { kind: 'own' } };
}
