/**
 * The inpatient visit's states (inpatient.md section 2) as a pure transition function, and the
 * refusals every call naming a visit or a settlement shares. No I/O: the ledger passes the facts.
 */
import { Refusal } from './settle.ts';

export type VisitState = 'ADMITTED' | 'DISCHARGED' | 'SETTLED' | 'CANCELLED';

/** 5201's `inhosp_stas` of each state. */
export const INHOSP_STAS: Readonly<Record<VisitState, string>> = { ADMITTED: '1', DISCHARGED: '2', SETTLED: '3', CANCELLED: '9' };

export type VisitEvent =
  /** 2403 */
  | { kind: 'change' }
  /** 2301 upload, 2302 withdraw */
  | { kind: 'fee_lines' }
  /** 2402 */
  | { kind: 'discharge' }
  /** 2405 */
  | { kind: 'cancel_discharge' }
  /** 2404; `liveLines`: the visit's live fee lines */
  | { kind: 'cancel_admission'; liveLines: number }
  /** 2303 (`trial`) and 2304 */
  | { kind: 'settle'; mid: boolean; trial: boolean }
  /** 2305, and 2601 of a 2304: undoing a settlement in force */
  | { kind: 'cancel_settlement'; final: boolean }
  /** 2601 of a 2305: putting its settlement back in force; `movedSince`: the visit changed after the 2305 */
  | { kind: 'restore_settlement'; final: boolean; movedSince: boolean }
  /** 2601 of a 2401; `linesEver`: fee lines ever uploaded to the visit, withdrawn ones included */
  | { kind: 'reverse_admission'; linesEver: number };

const refusal = {
  settled: () => new Refusal('visit_settled', 'the stay is already settled: cancel its settlement (2305) first'),
  cancelled: () => new Refusal('visit_cancelled', 'the admission was cancelled'),
  discharged: () => new Refusal('visit_discharged', 'the patient is already discharged: cancel the discharge (2405) first'),
  notDischarged: () => new Refusal('visit_not_discharged', 'the patient is not discharged: register the discharge (2402) first'),
  depends: (why: string) => new Refusal('later_message_depends', why),
};

/** The state after `event`, or the Refusal the spec gives for it in `state` (nothing is written then). */
export function nextVisitState(state: VisitState, event: VisitEvent): VisitState | Refusal {
  switch (event.kind) {
    case 'reverse_admission':
      if (state === 'ADMITTED' && event.linesEver === 0) return 'CANCELLED';
      return refusal.depends(state === 'ADMITTED' ? 'fee lines were uploaded to the visit since its admission' : 'the visit moved on since its admission');
    case 'restore_settlement':
      if (event.movedSince || state === 'CANCELLED') return refusal.depends('the visit changed since the settlement was cancelled');
      if (event.final) return state === 'DISCHARGED' ? 'SETTLED' : refusal.depends('the visit changed since the settlement was cancelled');
      return state === 'SETTLED' ? refusal.depends('the stay was settled since') : state;
    case 'cancel_settlement':
      if (state === 'CANCELLED') return refusal.cancelled();
      if (!event.final) return state; // a mid-stay settlement's undoing leaves the stay where it is
      if (state !== 'SETTLED') throw new Error(`a final settlement in force on a visit ${state}: the ledger is inconsistent`);
      return 'DISCHARGED';
    default:
  }
  if (state === 'CANCELLED') return refusal.cancelled();
  if (state === 'SETTLED') return refusal.settled();
  const admitted = state === 'ADMITTED';
  switch (event.kind) {
    case 'change':
      return state;
    case 'fee_lines':
      return admitted ? state : refusal.discharged();
    case 'discharge':
      return admitted ? 'DISCHARGED' : refusal.discharged();
    case 'cancel_discharge':
      return admitted ? refusal.notDischarged() : 'ADMITTED';
    case 'cancel_admission':
      if (!admitted) return refusal.discharged();
      if (event.liveLines > 0) return new Refusal('fee_lines_exist', `the visit has ${event.liveLines} live fee line(s): withdraw them (2302) first`);
      return 'CANCELLED';
    case 'settle':
      if (event.mid) return admitted ? state : refusal.discharged();
      if (admitted) return refusal.notDischarged();
      return event.trial ? state : 'SETTLED';
  }
}

/** As nextVisitState, throwing its Refusal. */
export function requireVisitTransition(state: VisitState, event: VisitEvent): VisitState {
  const next = nextVisitState(state, event);
  if (next instanceof Refusal) throw next;
  return next;
}

/** What a call naming a visit needs to know of it. */
export interface VisitFacts {
  mdtrt_id: string;
  psn_no: string;
  insutype: string;
  /** An inpatient visit (2401) or an outpatient one (2201). */
  inpatient: boolean;
}

/**
 * visit_unknown when the calling institution has no visit of that kind and mdtrt_id (the caller looks
 * it up among its own institution's visits); visit_mismatch when psn_no or a given insutype is not the visit's.
 */
export function requireVisit<V extends VisitFacts>(visit: V | undefined, want: { mdtrt_id: string; psn_no: string; insutype?: string | null; inpatient: boolean }): V {
  if (!visit || visit.inpatient !== want.inpatient) {
    throw new Refusal('visit_unknown', `there is no ${want.inpatient ? 'inpatient' : 'outpatient'} visit ${want.mdtrt_id} at this institution`);
  }
  if (visit.psn_no !== want.psn_no) throw new Refusal('visit_mismatch', `visit ${want.mdtrt_id} is not of person ${want.psn_no}`);
  if (want.insutype != null && visit.insutype !== want.insutype) {
    throw new Refusal('visit_mismatch', `visit ${want.mdtrt_id} is under insutype ${visit.insutype}, not ${want.insutype}`);
  }
  return visit;
}

/** Is the visit an open admission (one per person per institution)? */
export function isOpenAdmission(state: VisitState): boolean {
  return state === 'ADMITTED' || state === 'DISCHARGED';
}

/** 2401: refused while the person has another admission at the institution ADMITTED or DISCHARGED. */
export function checkNoOpenAdmission(otherVisits: Iterable<{ mdtrt_id: string; state: VisitState }>): void {
  for (const v of otherVisits) {
    if (isOpenAdmission(v.state)) throw new Refusal('admission_open', `the person already has an open admission here (${v.mdtrt_id}): discharge and settle or cancel it first`);
  }
}

/** A time as the inputs carry it, for comparison: yyyy-MM-dd HH:mm:ss, or yyyy-MM-dd alone. */
function comparable(t: string): string {
  return t.replace('T', ' ').slice(0, 19);
}

/** 2402: the discharge cannot be before the admission (a bare date is compared by date). */
export function checkDischargeTime(begntime: string, endtime: string): void {
  const b = comparable(begntime);
  const e = comparable(endtime);
  const dateOnly = b.length <= 10 || e.length <= 10;
  if ((dateOnly ? e.slice(0, 10) < b.slice(0, 10) : e < b)) {
    throw new Refusal('endtime_before_begntime', `the discharge time ${endtime} is before the admission time ${begntime}`);
  }
}

/** An inpatient settlement or reversing record, as 2305 and 2601 judge it. */
export interface SettlementFacts {
  setl_id: string;
  mdtrt_id: string;
  psn_no: string;
  /** mid_setl_flag "0" */
  final: boolean;
  inForce: boolean;
}

/**
 * 2305 (and 2601 of a 2304, `via` "2601"): the checks before undoing `settlement`, the state the visit
 * moves to. `later`: a later settlement of the same visit is in force; `otherOpenAdmission`: the
 * person has another admission open at the institution (undoing a final settlement reopens this one).
 */
export function checkSettlementCancel(
  settlement: SettlementFacts | undefined,
  want: { setl_id: string; mdtrt_id?: string; psn_no: string },
  visitState: VisitState,
  facts: { later: boolean; otherOpenAdmission: boolean },
  via: '2305' | '2601' = '2305',
): VisitState {
  if (!settlement) throw new Refusal('settlement_unknown', `there is no inpatient settlement ${want.setl_id} at this institution`);
  if (settlement.psn_no !== want.psn_no || (want.mdtrt_id !== undefined && settlement.mdtrt_id !== want.mdtrt_id)) {
    throw new Refusal('settlement_mismatch', `settlement ${want.setl_id} is not of this visit and person`);
  }
  if (!settlement.inForce) throw new Refusal('already_cancelled', `settlement ${want.setl_id} is not in force (already cancelled)`);
  if (facts.later) {
    throw via === '2601'
      ? refusal.depends(`a later settlement of visit ${settlement.mdtrt_id} is in force`)
      : new Refusal('not_latest_settlement', `a later settlement of visit ${settlement.mdtrt_id} is in force: cancel the latest first`);
  }
  if (settlement.final && facts.otherOpenAdmission) {
    throw via === '2601'
      ? refusal.depends('the person has been admitted again here since')
      : new Refusal('admission_open', 'cancelling it would reopen this stay while the person has another open admission here');
  }
  return requireVisitTransition(visitState, { kind: 'cancel_settlement', final: settlement.final });
}
