/**
 * Deterministic simulation: a seeded workload of identifications, sales, cancellations, 2601
 * reversals, duplicate messages, card pulls, stale scans and clock steps across midnight and New
 * Year, against the real core with an in-memory ledger and fake devices. An auditor checks every
 * invariant after every step; fast-check prints the seed and the shrunk workload on failure.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkLedger } from '../../scripts/crash.ts';
import { createVirtualCard, cardImageFromWorld } from '../../drivers/vcard/index.ts';
import { CardError, createInProcessReader, readIdentity } from '../../src/drivers/card/index.ts';
import { StaleScanGuard } from '../../src/drivers/scanner/stale-guard.ts';
import { freshPlatform, WORLDS } from '../helpers.ts';

const PEOPLE = [
  ['44030000000000000003', '440304201605120318', '390', 'A00000003'],
  ['44030000000000000005', '440305198807300554', '310', 'A00000005'],
  ['44030000000000000004', '440303195411020138', '310', 'A00000004'],
  ['44030000000000000007', '440303195712050429', '310', 'A00000007'],
] as const;
const ITEMS = ['XC08CAN010A001', 'XC10AAA050A001', 'C1402060580001', 'XA11JAD010A001', 'NOTLISTED0001'];

type Cmd =
  | { t: 'sale'; who: number; hospital: boolean; lines: { item: number; fen: number; cnt: number }[]; acct: boolean }
  | { t: 'cancel'; pick: number }
  | { t: 'reverse'; pick: number }
  | { t: 'duplicate'; pick: number }
  | { t: 'identify'; who: number; byCard: boolean }
  | { t: 'pull'; who: number; after: number }
  | { t: 'stale'; ageMs: number }
  | { t: 'clock'; hours: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('sale' as const), who: fc.nat(PEOPLE.length - 1), hospital: fc.boolean(), acct: fc.boolean(), lines: fc.array(fc.record({ item: fc.nat(ITEMS.length - 1), fen: fc.integer({ min: 1, max: 40_000 }), cnt: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('reverse' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('duplicate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('identify' as const), who: fc.nat(PEOPLE.length - 1), byCard: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pull' as const), who: fc.nat(PEOPLE.length - 1), after: fc.integer({ min: 1, max: 11 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('stale' as const), ageMs: fc.integer({ min: 0, max: 10_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clock' as const), hours: fc.integer({ min: 1, max: 24 * 20 }) }) },
);

async function simulate(cmds: Cmd[]): Promise<void> {
  // Late December: clock steps cross midnight and New Year.
  const { platform, ledger, clock } = await freshPlatform(WORLDS.demo, '2026-12-28T09:00:00+08:00');
  const world = ledger.world();
  const opening = new Map((ledger.db.prepare('SELECT psn_no, balc FROM accounts').all() as { psn_no: string; balc: number }[]).map((a) => [a.psn_no, a.balc]));
  const openingCounters = new Map(
    (ledger.db.prepare('SELECT * FROM counters').all() as { psn_no: string; insutype: string; year: number; dedc_used: number; fund_used: number }[]).map((c) => [`${c.psn_no}/${c.insutype}/${c.year}`, [c.dedc_used, c.fund_used] as [number, number]]),
  );
  const sent: { request: Record<string, unknown>; response: unknown }[] = [];
  let n = 0;
  const send = async (infno: string, fixmedins_code: string, input: unknown) => {
    const request = { infno, msgid: `SIM${n++}`, fixmedins_code, insuplc_admdvs: '440300', input };
    const response = await platform.call(request);
    sent.push({ request, response });
    return response;
  };
  const audit = async (step: string) => {
    const check = await checkLedger(ledger, opening, openingCounters);
    expect(check, step).toEqual({ ok: true });
    for (const c of ledger.db.prepare('SELECT * FROM counters').all() as { insutype: string; dedc_used: number; fund_used: number }[]) {
      const rules = world.policy.insutype[c.insutype]!;
      expect(c.dedc_used, step).toBeLessThanOrEqual(rules.deductible);
      expect(c.fund_used, step).toBeLessThanOrEqual(rules.cap);
    }
  };

  for (const [i, c] of cmds.entries()) {
    const step = `step ${i}: ${JSON.stringify(c)}`;
    const [psn, certno, insutype, cardNo] = PEOPLE[('who' in c ? c.who : 0) % PEOPLE.length]!;
    switch (c.t) {
      case 'sale': {
        const lines = c.lines.map((l, k) => ({ feedetl_sn: String(k + 1), med_list_codg: ITEMS[l.item]!, pric: l.fen / 100, cnt: l.cnt, det_item_fee_sumamt: (l.fen * l.cnt) / 100 }));
        const sum = lines.reduce((s, l) => s + Math.round(l.det_item_fee_sumamt * 100), 0) / 100;
        const cert = { mdtrt_cert_type: '02', mdtrt_cert_no: certno };
        if (!c.hospital) {
          const r = await send('2102', 'P44030000001', { druginfo: { psn_no: psn, ...cert, insutype, med_type: '41', medfee_sumamt: sum, acct_used_flag: c.acct ? '1' : '0' }, drugdetail: lines });
          expect(r.infcode, `${step}: ${r.err_msg}`).toBe(0);
        } else {
          const reg = await send('2201', 'H44030000001', { data: { psn_no: psn, insutype, ...cert, ipt_otp_no: `V${i}` } });
          expect(reg.infcode, `${step}: ${reg.err_msg}`).toBe(0);
          const mdtrt_id = (reg.output as { data: { mdtrt_id: string } }).data.mdtrt_id;
          expect((await send('2204', 'H44030000001', { feedetail: lines.map((l) => ({ ...l, mdtrt_id, psn_no: psn })) })).infcode).toBe(0);
          const data = { psn_no: psn, ...cert, med_type: '11', medfee_sumamt: sum, mdtrt_id, acct_used_flag: c.acct ? '1' : '0', insutype };
          const pre = await send('2206', 'H44030000001', { data });
          const done = await send('2207', 'H44030000001', { data });
          expect(done.infcode, `${step}: ${done.err_msg}`).toBe(0);
          const figures = (r: typeof done) => {
            const { setl_id: _s, setl_time: _t, medins_setl_id: _m, ...rest } = (r.output as { setlinfo: Record<string, unknown> }).setlinfo;
            return rest;
          };
          expect(figures(done), step).toEqual(figures(pre));
        }
        break;
      }
      case 'cancel': {
        const open = ledger.db.prepare("SELECT setl_id, mdtrt_id, psn_no, clr_type FROM settlements s WHERE kind = 'settle' ORDER BY seq").all() as { setl_id: string; mdtrt_id: string; psn_no: string; clr_type: string }[];
        if (!open.length) break;
        const s = open[c.pick % open.length]!;
        const r = s.clr_type === '41' ? await send('2103', 'P44030000001', { data: { setl_id: s.setl_id, mdtrt_id: s.mdtrt_id, psn_no: s.psn_no } }) : await send('2208', 'H44030000001', { data: { setl_id: s.setl_id, mdtrt_id: s.mdtrt_id, psn_no: s.psn_no } });
        expect(r.infcode === 0 || ['already_cancelled'].includes(r.err_code!), `${step}: ${r.err_code}`).toBe(true);
        break;
      }
      case 'reverse': {
        const candidates = sent.filter((m) => ['2102', '2103', '2207', '2208'].includes(m.request.infno as string) && (m.response as { infcode: number }).infcode === 0);
        if (!candidates.length) break;
        const m = candidates[c.pick % candidates.length]!;
        const rec = (await ledger.transaction((tx) => tx.settlementByMsgid(m.request.msgid as string)))!;
        const r = await send('2601', m.request.fixmedins_code as string, { data: { psn_no: rec.psn_no, omsgid: m.request.msgid, oinfno: m.request.infno } });
        expect(r.infcode === 0 || ['later_message_depends', 'reversal_breaks_bound'].includes(r.err_code!), `${step}: ${r.err_code} ${r.err_msg}`).toBe(true);
        break;
      }
      case 'duplicate': {
        if (!sent.length) break;
        const m = sent[c.pick % sent.length]!;
        const again = await platform.call(m.request);
        if ((m.response as { infcode: number }).infcode === 0) expect(again, step).toEqual(m.response);
        break;
      }
      case 'identify': {
        const r = await send('1101', 'P44030000001', { data: c.byCard ? { mdtrt_cert_type: '03', mdtrt_cert_no: cardNo } : { mdtrt_cert_type: '02', mdtrt_cert_no: certno } });
        expect((r.output as { baseinfo: { psn_no: string } }).baseinfo.psn_no, step).toBe(psn);
        break;
      }
      case 'pull': {
        const reader = createInProcessReader(createVirtualCard(cardImageFromWorld(world.data, cardNo)));
        reader.pullAfter(c.after);
        const got = await readIdentity(reader, { timeoutMs: 1000 }).then(
          (id) => ({ id }),
          (err: unknown) => ({ err }),
        );
        await reader.close();
        // A card pulled during the read gives an error and no identity; pulled after the last APDU, the read was whole.
        if ('err' in got) expect(got.err, step).toBeInstanceOf(CardError);
        else expect(got.id.card_no, step).toBe(cardNo);
        break;
      }
      case 'stale': {
        let now = 1_000_000;
        const guard = new StaleScanGuard({ clock: () => now });
        expect(guard.offer({ kind: 'ean13', text: '6920318002128', at: now }), `${step}: a scan with no checkout waiting is dropped`).toBe(false);
        const checkout = guard.beginCheckout();
        guard.offer({ kind: 'ecert', text: 'MPEC1.x', at: now });
        now += c.ageMs;
        const taken = guard.takeFor(checkout.startedAt);
        if (c.ageMs > guard.maxAgeMs) expect(taken, `${step}: a stale scan never pays`).toBeUndefined();
        checkout.end();
        break;
      }
      case 'clock':
        clock.advance(c.hours * 3600_000);
        break;
    }
    await audit(step);
  }
  await ledger.close();
}

describe('deterministic simulation', () => {
  it('keeps every invariant after every step of a seeded workload', async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 40 }), simulate), { numRuns: Number(process.env.MEDPOS_SIM_RUNS ?? 100), seed: process.env.MEDPOS_SIM_SEED ? Number(process.env.MEDPOS_SIM_SEED) : undefined });
  }, 120_000);
});
