import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { envelope, freshPlatform, uniqueMsgid, WORLDS } from '../helpers.ts';
import type { SqliteLedger } from '../../src/ledger/sqlite.ts';

const PHARMACY = 'P44030000001';
const HOSPITAL = 'H44030000001';
const DEMO_ITEMS = ['XC08CAN010A001', 'XC10AAA050A001', 'C1402060580001', 'XA11JAD010A001', 'NOTLISTED0001', 'ZC01AAF0010'];

/** Everything a settlement may change: balances, counters, settlement records, visits, lines. */
function snapshot(ledger: SqliteLedger) {
  const q = (sql: string) => ledger.db.prepare(sql).all();
  return {
    accounts: q('SELECT * FROM accounts ORDER BY psn_no'),
    counters: q('SELECT * FROM counters WHERE dedc_used <> 0 OR fund_used <> 0 ORDER BY psn_no, insutype, year'),
  };
}

function drug(psn: string, lines: { code: string; pric: number; cnt: number }[], extra: Record<string, unknown> = {}) {
  const detail = lines.map((l, i) => ({ feedetl_sn: String(i + 1), med_list_codg: l.code, pric: l.pric, cnt: l.cnt, det_item_fee_sumamt: Math.round(l.pric * l.cnt * 100) / 100 }));
  const sum = Math.round(detail.reduce((s, l) => s + l.det_item_fee_sumamt * 100, 0)) / 100;
  return {
    druginfo: { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: '', insutype: '310', med_type: '41', medfee_sumamt: sum, acct_used_flag: '1', ...extra },
    drugdetail: detail,
  };
}

const CERTNO: Record<string, string> = {
  '44030000000000000001': '440304198409230267',
  '44030000000000000002': '440303198203140171',
  '44030000000000000003': '440304201605120318',
  '44030000000000000005': '440305198807300554',
  '44030000000000000008': '440307199506090933',
};

describe('the envelope', () => {
  it('answers a retried msgid from the stored response and never applies it twice', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const req = drug('44030000000000000005', [{ code: 'XC08CAN010A001', pric: 12.5, cnt: 2 }], { mdtrt_cert_no: CERTNO['44030000000000000005'] });
    const env = envelope('2102', PHARMACY, req, 'RETRY-1');
    const first = await platform.call(env);
    const before = snapshot(ledger);
    const second = await platform.call(JSON.stringify(env));
    expect(first.infcode).toBe(0);
    expect(second).toEqual(first);
    expect(snapshot(ledger)).toEqual(before);
    const other = await platform.call({ ...env, input: { ...req, druginfo: { ...req.druginfo, acct_used_flag: '0' } } });
    expect(other).toMatchObject({ infcode: -1, err_code: 'msgid_conflict' });
    expect(await ledger.settlementCount()).toBe(1);
  });

  it('knows a retry by its body: other envelope fields and the order of keys may differ', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const req = drug('44030000000000000005', [{ code: 'XC08CAN010A001', pric: 12.5, cnt: 2 }], { mdtrt_cert_no: CERTNO['44030000000000000005'] });
    const first = await platform.call({ ...envelope('2102', PHARMACY, req, 'RETRY-2'), inf_time: '2026-11-20 10:00:00' });
    const reordered = { drugdetail: req.drugdetail.map((l) => Object.fromEntries(Object.entries(l).reverse())), druginfo: Object.fromEntries(Object.entries(req.druginfo).reverse()) };
    const retry = await platform.call({ ...envelope('2102', PHARMACY, reordered, 'RETRY-2'), inf_time: '2026-11-20 10:00:07', opter: 'another cashier' });
    expect(first.infcode).toBe(0);
    expect(retry).toEqual(first);
    expect(await ledger.settlementCount()).toBe(1);
    expect(await platform.call(envelope('2102', 'P44030000002', req, 'RETRY-2'))).toMatchObject({ infcode: -1, err_code: 'msgid_conflict' });
  });

  it('does not bind a refused msgid: a corrected retry is judged afresh', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const good = drug('44030000000000000005', [{ code: 'XC08CAN010A001', pric: 12.5, cnt: 2 }], { mdtrt_cert_no: CERTNO['44030000000000000005'] });
    const bad = { ...good, druginfo: { ...good.druginfo, medfee_sumamt: 99 } };
    expect(await platform.call(envelope('2102', PHARMACY, bad, 'FIX-1'))).toMatchObject({ infcode: -1, err_code: 'sum_mismatch' });
    expect(await platform.call(envelope('2102', PHARMACY, good, 'FIX-1'))).toMatchObject({ infcode: 0 });
  });

  it('never fills in a msgid a sender already used', async () => {
    const { platform } = await freshPlatform(WORLDS.demo);
    const signIn = { signIn: { opter_no: 'C1' } };
    // hospital software used the id medpos would make next: fixmedins_code + time + 0001
    expect((await platform.call(envelope('9001', HOSPITAL, signIn, `${HOSPITAL}202611201000000001`))).infcode).toBe(0);
    const filled = await platform.call({ infno: '9001', fixmedins_code: HOSPITAL, input: signIn }, { fillMsgid: true });
    expect(filled).toMatchObject({ infcode: 0 });
  });

  it('refuses malformed input of every kind with an err_code and no stack trace', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const before = snapshot(ledger);
    const cases: [unknown, string][] = [
      ['{not json', 'malformed_json'],
      ['[]', 'malformed_envelope'],
      [{ infno: '2102', fixmedins_code: PHARMACY, input: {} }, 'malformed_envelope'],
      [{ ...envelope('2102', PHARMACY, {}), input: 'x' }, 'malformed_envelope'],
      [envelope('2102', PHARMACY, { druginfo: {} }), 'malformed_input'],
      [envelope('9999', PHARMACY, {}), 'unknown_infno'],
      [envelope('2102', 'X00000000000', drug('44030000000000000005', [{ code: 'A', pric: 1, cnt: 1 }])), 'institution_unknown'],
      [envelope('2102', 'P44030000002', drug('44030000000000000005', [{ code: 'A', pric: 1, cnt: 1 }])), 'not_designated'],
      ['x'.repeat(2 << 20), 'too_large'],
      [{ ...envelope('1101', PHARMACY, { data: { mdtrt_cert_type: '02', mdtrt_cert_no: 'x' } }), msgid: 'M'.repeat(31) }, 'malformed_envelope'],
    ];
    for (const [req, code] of cases) {
      const res = await platform.call(req);
      expect(res, code).toMatchObject({ infcode: -1, err_code: code });
      expect(res.err_msg).toBeTruthy();
      expect(res.err_msg).not.toMatch(/\n\s+at /);
    }
    const amount3 = drug('44030000000000000005', [{ code: 'XC08CAN010A001', pric: 1, cnt: 1 }]);
    (amount3.drugdetail[0] as { det_item_fee_sumamt: number }).det_item_fee_sumamt = 1.001;
    expect((await platform.call(envelope('2102', PHARMACY, amount3))).err_msg).toMatch(/input\.drugdetail\[0\]\.det_item_fee_sumamt/);
    expect(snapshot(ledger)).toEqual(before);
  });
});

describe('properties through the platform', () => {
  const lineArb = fc.record({ code: fc.constantFrom(...DEMO_ITEMS), pric: fc.integer({ min: 1, max: 50_000 }).map((f) => f / 100), cnt: fc.integer({ min: 1, max: 5 }) });
  const saleArb = fc.record({
    psn: fc.constantFrom(...Object.keys(CERTNO)),
    lines: fc.array(lineArb, { minLength: 1, maxLength: 5 }),
    acct: fc.constantFrom('0', '1'),
  });

  it('pre-settlement equals settlement, and settle then cancel restores every balance and counter', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    await fc.assert(
      fc.asyncProperty(saleArb, async (a) => {
        const insutype = a.psn === '44030000000000000003' ? '390' : '310';
        const req = drug(a.psn, a.lines, { mdtrt_cert_no: CERTNO[a.psn], insutype, acct_used_flag: a.acct });
        const before = snapshot(ledger);
        const pre = await platform.call(envelope('2101', PHARMACY, req));
        expect(pre.infcode).toBe(0);
        expect(snapshot(ledger)).toEqual(before);
        const done = await platform.call(envelope('2102', PHARMACY, req));
        expect(done.infcode).toBe(0);
        const pick = (r: typeof pre) => {
          const { setl_id: _s, mdtrt_id: _m, setl_time: _t, medins_setl_id: _i, ...rest } = (r.output as { setlinfo: Record<string, unknown> }).setlinfo;
          return rest;
        };
        expect(pick(done)).toEqual(pick(pre));
        const info = (done.output as { setlinfo: { setl_id: string; mdtrt_id: string; medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number; psn_cash_pay: number } }).setlinfo;
        expect(Math.round(info.fund_pay_sumamt * 100) + Math.round(info.acct_pay * 100) + Math.round(info.psn_cash_pay * 100)).toBe(Math.round(info.medfee_sumamt * 100));
        const cancel = await platform.call(envelope('2103', PHARMACY, { data: { setl_id: info.setl_id, mdtrt_id: info.mdtrt_id, psn_no: a.psn } }));
        expect(cancel.infcode).toBe(0);
        expect((cancel.output as { setlinfo: { medfee_sumamt: number } }).setlinfo.medfee_sumamt).toBe(-info.medfee_sumamt);
        expect(snapshot(ledger)).toEqual(before);
      }),
      { numRuns: 60 },
    );
  });

  it("2204 refuses a whole upload when one line names another person than its visit's, storing none of it", async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const psn = '44030000000000000005';
    const reg = await platform.call(envelope('2201', HOSPITAL, { data: { psn_no: psn, insutype: '310', mdtrt_cert_type: '02', mdtrt_cert_no: CERTNO[psn], ipt_otp_no: 'V1' } }));
    const mdtrt_id = (reg.output as { data: { mdtrt_id: string } }).data.mdtrt_id;
    const line = (sn: string, psn_no: string) => ({ feedetl_sn: sn, mdtrt_id, psn_no, med_list_codg: 'XC08CAN010A001', pric: 300, cnt: 1, det_item_fee_sumamt: 300 });
    const refused = await platform.call(envelope('2204', HOSPITAL, { feedetail: [line('1', psn), line('2', '44030000000000000001')] }));
    expect(refused).toMatchObject({ infcode: -1, err_code: 'visit_mismatch' });
    expect(refused.err_msg).toContain('line 2');
    // nothing was stored: the same lines upload afterwards
    expect((await platform.call(envelope('2204', HOSPITAL, { feedetail: [line('1', psn), line('2', psn)] }))).infcode).toBe(0);
    await ledger.transaction(async (tx) => expect((await tx.feeLines(mdtrt_id)).map((l) => l.feedetl_sn)).toEqual(['1', '2']));
  });

  it('settle then cancel restores the counters at a hospital too', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const psn = '44030000000000000005';
    const before = snapshot(ledger);
    const reg = await platform.call(envelope('2201', HOSPITAL, { data: { psn_no: psn, insutype: '310', mdtrt_cert_type: '02', mdtrt_cert_no: CERTNO[psn], ipt_otp_no: 'V1' } }));
    const mdtrt_id = (reg.output as { data: { mdtrt_id: string } }).data.mdtrt_id;
    expect((await platform.call(envelope('2204', HOSPITAL, { feedetail: [{ feedetl_sn: '1', mdtrt_id, psn_no: psn, med_list_codg: 'XC08CAN010A001', pric: 300, cnt: 1, det_item_fee_sumamt: 300 }] }))).infcode).toBe(0);
    const setl = { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: CERTNO[psn], med_type: '11', medfee_sumamt: 300, mdtrt_id, acct_used_flag: '1', insutype: '310' };
    const done = await platform.call(envelope('2207', HOSPITAL, { data: setl }));
    const info = (done.output as { setlinfo: { setl_id: string; act_pay_dedc: number; hifp_pay: number } }).setlinfo;
    expect(info.act_pay_dedc).toBe(100);
    expect(info.hifp_pay).toBe(100);
    expect(snapshot(ledger)).not.toEqual(before);
    expect((await platform.call(envelope('2208', HOSPITAL, { data: { setl_id: info.setl_id, mdtrt_id, psn_no: psn } }))).infcode).toBe(0);
    expect(snapshot(ledger)).toEqual(before);
    // the lines are unsettled again: they settle again to the same figures
    const again = await platform.call(envelope('2207', HOSPITAL, { data: setl }));
    expect((again.output as { setlinfo: { hifp_pay: number } }).setlinfo.hifp_pay).toBe(100);
    expect(await platform.call(envelope('2208', HOSPITAL, { data: { setl_id: info.setl_id, mdtrt_id, psn_no: psn } }))).toMatchObject({ infcode: -1, err_code: 'already_cancelled' });
  });
});

describe('reversal (2601)', () => {
  it('undoes a settlement once, refuses what a later message depends on', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const psn = '44030000000000000002';
    const req = drug(psn, [{ code: 'XC08CAN010A001', pric: 100, cnt: 1 }], { mdtrt_cert_no: CERTNO[psn] });
    const before = snapshot(ledger);
    const msgid = uniqueMsgid('R');
    expect((await platform.call(envelope('2102', PHARMACY, req, msgid))).infcode).toBe(0);
    const rev = { data: { psn_no: psn, omsgid: msgid, oinfno: '2102' } };
    expect((await platform.call(envelope('2601', PHARMACY, rev))).infcode).toBe(0);
    expect(snapshot(ledger)).toEqual(before);
    expect((await platform.call(envelope('2601', PHARMACY, rev))).infcode).toBe(0);
    expect(snapshot(ledger)).toEqual(before);
    expect(await platform.call(envelope('2601', PHARMACY, { data: { psn_no: psn, omsgid: 'NEVER-SEEN', oinfno: '2102' } }))).toMatchObject({ infcode: -1, err_code: 'msgid_unknown' });

    const m2 = uniqueMsgid('R');
    const s2 = await platform.call(envelope('2102', PHARMACY, req, m2));
    const info = (s2.output as { setlinfo: { setl_id: string; mdtrt_id: string } }).setlinfo;
    const c2 = uniqueMsgid('C');
    expect((await platform.call(envelope('2103', PHARMACY, { data: { setl_id: info.setl_id, mdtrt_id: info.mdtrt_id, psn_no: psn } }, c2))).infcode).toBe(0);
    expect(await platform.call(envelope('2601', PHARMACY, { data: { psn_no: psn, omsgid: m2, oinfno: '2102' } }))).toMatchObject({ infcode: -1, err_code: 'later_message_depends' });
    const balance = () => ledger.transaction((tx) => tx.balance(psn));
    const charged = await balance();
    expect((await platform.call(envelope('2601', PHARMACY, { data: { psn_no: psn, omsgid: c2, oinfno: '2103' } }))).infcode).toBe(0);
    expect(await balance()).toBe(charged - 10000);
  });
});
