import { describe, expect, it } from 'vitest';
import { Refusal } from '../../src/core/settle.ts';
import {
  checkDischargeTime,
  checkNoOpenAdmission,
  checkSettlementCancel,
  nextVisitState,
  requireVisit,
  type VisitEvent,
  type VisitState,
} from '../../src/core/visit.ts';

const STATES: VisitState[] = ['ADMITTED', 'DISCHARGED', 'SETTLED', 'CANCELLED'];
const outcome = (state: VisitState, e: VisitEvent) => {
  const r = nextVisitState(state, e);
  return r instanceof Refusal ? r.err_code : `→ ${r}`;
};
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof Refusal ? e.err_code : `error: ${(e as Error).message}`;
  }
  return 'no refusal';
};

/** inpatient.md section 2, row by row: ADMITTED, DISCHARGED, SETTLED, CANCELLED. */
const TABLE: [string, VisitEvent, string[]][] = [
  ['2403 change', { kind: 'change' }, ['→ ADMITTED', '→ DISCHARGED', 'visit_settled', 'visit_cancelled']],
  ['2301/2302 fee lines', { kind: 'fee_lines' }, ['→ ADMITTED', 'visit_discharged', 'visit_settled', 'visit_cancelled']],
  ['2402 discharge', { kind: 'discharge' }, ['→ DISCHARGED', 'visit_discharged', 'visit_settled', 'visit_cancelled']],
  ['2405 cancel discharge', { kind: 'cancel_discharge' }, ['visit_not_discharged', '→ ADMITTED', 'visit_settled', 'visit_cancelled']],
  ['2404 cancel admission, no lines', { kind: 'cancel_admission', liveLines: 0 }, ['→ CANCELLED', 'visit_discharged', 'visit_settled', 'visit_cancelled']],
  ['2404 cancel admission, a live line', { kind: 'cancel_admission', liveLines: 1 }, ['fee_lines_exist', 'visit_discharged', 'visit_settled', 'visit_cancelled']],
  ['2303 mid-stay', { kind: 'settle', mid: true, trial: true }, ['→ ADMITTED', 'visit_discharged', 'visit_settled', 'visit_cancelled']],
  ['2304 mid-stay', { kind: 'settle', mid: true, trial: false }, ['→ ADMITTED', 'visit_discharged', 'visit_settled', 'visit_cancelled']],
  ['2303 final', { kind: 'settle', mid: false, trial: true }, ['visit_not_discharged', '→ DISCHARGED', 'visit_settled', 'visit_cancelled']],
  ['2304 final', { kind: 'settle', mid: false, trial: false }, ['visit_not_discharged', '→ SETTLED', 'visit_settled', 'visit_cancelled']],
];

describe('visit states (inpatient.md section 2)', () => {
  for (const [name, event, expected] of TABLE) {
    it(`${name}: ${expected.join(' / ')}`, () => {
      expect(STATES.map((s) => outcome(s, event))).toEqual(expected);
    });
  }

  it('2305 of a final settlement: SETTLED → DISCHARGED; of a mid-stay one the state does not change', () => {
    expect(outcome('SETTLED', { kind: 'cancel_settlement', final: true })).toBe('→ DISCHARGED');
    expect(outcome('ADMITTED', { kind: 'cancel_settlement', final: false })).toBe('→ ADMITTED');
    expect(outcome('DISCHARGED', { kind: 'cancel_settlement', final: false })).toBe('→ DISCHARGED');
    expect(codeOf(() => nextVisitState('DISCHARGED', { kind: 'cancel_settlement', final: true }))).toMatch(/inconsistent/);
  });

  it('2601 of a 2305 puts the settlement back only where the visit has not moved since', () => {
    expect(outcome('DISCHARGED', { kind: 'restore_settlement', final: true, movedSince: false })).toBe('→ SETTLED');
    expect(outcome('ADMITTED', { kind: 'restore_settlement', final: false, movedSince: false })).toBe('→ ADMITTED');
    expect(outcome('DISCHARGED', { kind: 'restore_settlement', final: true, movedSince: true })).toBe('later_message_depends');
    expect(outcome('ADMITTED', { kind: 'restore_settlement', final: true, movedSince: false })).toBe('later_message_depends');
    expect(outcome('SETTLED', { kind: 'restore_settlement', final: false, movedSince: false })).toBe('later_message_depends');
    expect(outcome('CANCELLED', { kind: 'restore_settlement', final: false, movedSince: false })).toBe('later_message_depends');
  });

  it('2601 of a 2401 only while ADMITTED without any fee line ever', () => {
    expect(STATES.map((s) => outcome(s, { kind: 'reverse_admission', linesEver: 0 }))).toEqual([
      '→ CANCELLED',
      'later_message_depends',
      'later_message_depends',
      'later_message_depends',
    ]);
    expect(outcome('ADMITTED', { kind: 'reverse_admission', linesEver: 1 })).toBe('later_message_depends');
  });
});

describe('refusals shared by calls naming a visit or a settlement', () => {
  const visit = { mdtrt_id: 'M1', psn_no: 'P1', insutype: '310', inpatient: true };

  it('visit_unknown for no visit or one of the other kind; visit_mismatch for another person or insutype', () => {
    expect(codeOf(() => requireVisit(undefined, { mdtrt_id: 'M1', psn_no: 'P1', inpatient: true }))).toBe('visit_unknown');
    expect(codeOf(() => requireVisit(visit, { mdtrt_id: 'M1', psn_no: 'P1', inpatient: false }))).toBe('visit_unknown');
    expect(codeOf(() => requireVisit({ ...visit, inpatient: false }, { mdtrt_id: 'M1', psn_no: 'P1', inpatient: true }))).toBe('visit_unknown');
    expect(codeOf(() => requireVisit(visit, { mdtrt_id: 'M1', psn_no: 'P2', inpatient: true }))).toBe('visit_mismatch');
    expect(codeOf(() => requireVisit(visit, { mdtrt_id: 'M1', psn_no: 'P1', insutype: '390', inpatient: true }))).toBe('visit_mismatch');
    expect(requireVisit(visit, { mdtrt_id: 'M1', psn_no: 'P1', insutype: '310', inpatient: true })).toBe(visit);
  });

  it('admission_open while another admission is ADMITTED or DISCHARGED', () => {
    expect(codeOf(() => checkNoOpenAdmission([{ mdtrt_id: 'M0', state: 'ADMITTED' }]))).toBe('admission_open');
    expect(codeOf(() => checkNoOpenAdmission([{ mdtrt_id: 'M0', state: 'DISCHARGED' }]))).toBe('admission_open');
    expect(codeOf(() => checkNoOpenAdmission([{ mdtrt_id: 'M0', state: 'SETTLED' }, { mdtrt_id: 'M9', state: 'CANCELLED' }]))).toBe('no refusal');
  });

  it('endtime_before_begntime, by time, or by date when either is a bare date', () => {
    expect(codeOf(() => checkDischargeTime('2026-11-20 09:00:00', '2026-11-20 08:59:59'))).toBe('endtime_before_begntime');
    expect(codeOf(() => checkDischargeTime('2026-11-20 09:00:00', '2026-11-19'))).toBe('endtime_before_begntime');
    expect(codeOf(() => checkDischargeTime('2026-11-20 09:00:00', '2026-11-20'))).toBe('no refusal');
    expect(codeOf(() => checkDischargeTime('2026-11-20T09:00:00', '2026-11-20 09:00:00'))).toBe('no refusal');
  });

  describe('2305 and 2601 of a 2304', () => {
    const setl = { setl_id: 'S1', mdtrt_id: 'M1', psn_no: 'P1', final: true, inForce: true };
    const want = { setl_id: 'S1', mdtrt_id: 'M1', psn_no: 'P1' };
    const none = { later: false, otherOpenAdmission: false };
    it('each refusal in its own case', () => {
      expect(codeOf(() => checkSettlementCancel(undefined, want, 'SETTLED', none))).toBe('settlement_unknown');
      expect(codeOf(() => checkSettlementCancel(setl, { ...want, psn_no: 'P2' }, 'SETTLED', none))).toBe('settlement_mismatch');
      expect(codeOf(() => checkSettlementCancel(setl, { ...want, mdtrt_id: 'M2' }, 'SETTLED', none))).toBe('settlement_mismatch');
      expect(codeOf(() => checkSettlementCancel({ ...setl, inForce: false }, want, 'DISCHARGED', none))).toBe('already_cancelled');
      expect(codeOf(() => checkSettlementCancel({ ...setl, final: false }, want, 'SETTLED', { ...none, later: true }))).toBe('not_latest_settlement');
      expect(codeOf(() => checkSettlementCancel(setl, want, 'SETTLED', { ...none, otherOpenAdmission: true }))).toBe('admission_open');
      expect(codeOf(() => checkSettlementCancel({ ...setl, final: false }, want, 'SETTLED', { ...none, later: true }, '2601'))).toBe('later_message_depends');
      expect(codeOf(() => checkSettlementCancel(setl, want, 'SETTLED', { ...none, otherOpenAdmission: true }, '2601'))).toBe('later_message_depends');
    });
    it('a mid-stay one may be undone while another admission is open: it reopens nothing', () => {
      expect(checkSettlementCancel({ ...setl, final: false }, want, 'ADMITTED', { ...none, otherOpenAdmission: true })).toBe('ADMITTED');
      expect(checkSettlementCancel(setl, want, 'SETTLED', none)).toBe('DISCHARGED');
    });
  });
});
