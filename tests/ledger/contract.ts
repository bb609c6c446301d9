/**
 * The ledger contract: what every engine behind LedgerStore must do, written against the interface
 * alone. An engine's test file calls `ledgerContract` with a harness that makes fresh ledgers of
 * that engine (tests/ledger/contract.test.ts); the same assertions then hold on SQLite and on
 * PostgreSQL, to the fen.
 */
import { describe, expect, it } from 'vitest';
import { parseWorld, readWorldFiles, type World } from '../../src/core/world.ts';
import type { Debit, SettlementRecord } from '../../src/ledger/records.ts';
import type { LedgerStore, LedgerTx } from '../../src/ledger/types.ts';
import { WORLDS } from '../helpers.ts';

/** A fresh, empty ledger of one engine, and ways to reach it again. */
export interface FreshLedger {
  store: LedgerStore;
  /** Another handle on the same ledger, opened anew (used one after the other with `store`). */
  open(): Promise<LedgerStore>;
  /**
   * A second handle whose transactions may run at the same time as `store`'s in this process: on
   * PostgreSQL another pool of connections (another server, as far as the database can tell); on
   * SQLite, whose connections wait for each other synchronously, `store` itself behind a close that
   * does nothing.
   */
  sibling(): Promise<LedgerStore>;
  /** Runs one statement behind the ledger's back, `?` for parameters (tampering, inspection). */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export interface EngineHarness {
  engine: 'sqlite' | 'postgres';
  fresh(): Promise<FreshLedger>;
  /** A location holding a ledger of schema 1: `open` must refuse it; `tables` counts the tables there. */
  otherSchema(): Promise<{ open(): Promise<LedgerStore>; tables(): Promise<number> }>;
}

const demoRaw = () => readWorldFiles(WORLDS.demo) as unknown as Record<string, unknown>;
const demoWorld = (): World => parseWorld(readWorldFiles(WORLDS.demo));
const KEY = Buffer.alloc(32, 7);
const YEAR = 2026;

/** 王丽华 (120.00) and 李建国 (2860.50), one family with 李堃 and 李国栋 (35.60); 陈喆 (1520.30) has this year's counters. */
const P = { wang: '44030000000000000001', li: '44030000000000000002', liGuodong: '44030000000000000004', chen: '44030000000000000005' } as const;

async function loaded(h: EngineHarness): Promise<FreshLedger> {
  const f = await h.fresh();
  await f.store.loadWorld(demoRaw(), demoWorld(), YEAR, KEY);
  return f;
}

let serial = 0;
/** A consistent record: cash pays what the fund and the account do not. */
function record(over: Partial<SettlementRecord> & { psn_no: string }): SettlementRecord {
  serial += 1;
  const base: SettlementRecord = {
    setl_id: `S${process.pid}-${serial}`, kind: 'settle', init_setl_id: null, mdtrt_id: `M${process.pid}-${serial}`,
    insutype: '310', psn_type: '11', clr_type: '41', clr_optins: '440300', fixmedins_code: 'P44030000001', med_type: '41',
    setl_time: '2026-11-20 10:00:00', setl_date: '2026-11-20', year: YEAR,
    medfee_sumamt: 1000, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 0, inscp_scp_amt: 1000, act_pay_dedc: 0,
    hifp_pay: 0, fund_pay_sumamt: 0, psn_part_amt: 1000, acct_pay: 1000, acct_mulaid_pay: 0, psn_cash_pay: 0,
    balc: 0, mdtrt_cert_type: '02', pool_prop_selfpay: 0, msgid: `G${process.pid}-${serial}`,
    ...over,
  };
  return base;
}

/** A settlement of `amount` fen from one account, as the platform makes it: read the balance, then append. */
async function debit(tx: LedgerTx, psnNo: string, amount: number, over: Partial<SettlementRecord> = {}): Promise<SettlementRecord | 'refused'> {
  const balc = await tx.balance(psnNo);
  if (balc < amount) return 'refused';
  const rec = record({ psn_no: psnNo, medfee_sumamt: amount, inscp_scp_amt: amount, psn_part_amt: amount, acct_pay: amount, balc: balc - amount, ...over });
  await tx.appendSettlement(rec, [{ psn_no: psnNo, role: 'own', amount }], []);
  return rec;
}

export function ledgerContract(h: EngineHarness): void {
  describe('schema', () => {
    it('opens an empty ledger that says it holds no world, and opens it again', async () => {
      const f = await h.fresh();
      try {
        expect(f.store.engine).toBe(h.engine);
        expect(f.store.hasWorld()).toBe(false);
        expect(() => f.store.world()).toThrow(/medpos init/);
        expect(await f.store.settlementCount()).toBe(0);
        expect(await f.store.verifyChain()).toEqual({ ok: true, records: 0 });
        const again = await f.open();
        expect(again.hasWorld()).toBe(false);
        await again.close();
      } finally {
        await f.store.close();
      }
    });

    it('refuses a ledger of another schema, and leaves it as it was', async () => {
      const other = await h.otherSchema();
      const before = await other.tables();
      expect(before).toBeGreaterThan(0);
      await expect(other.open()).rejects.toThrow(/schema 1; this medpos needs schema \d+: keep that (file|database) aside and make a new one with `medpos init`/);
      expect(await other.tables()).toBe(before);
    });
  });

  describe('world', () => {
    it('loads opening balances, this year\'s counters and the platform key, once', async () => {
      const f = await loaded(h);
      try {
        expect(f.store.hasWorld()).toBe(true);
        expect(f.store.world().persons.get(P.wang)?.baseinfo.psn_name).toBe('王丽华');
        expect(f.store.platformKey().equals(KEY)).toBe(true);
        await f.store.transaction(async (tx) => {
          expect(await tx.balance(P.wang)).toBe(12000);
          expect(await tx.balance(P.li)).toBe(286050);
          expect(await tx.balance('44030000000000000003')).toBe(0); // 390 only: an account of 0
          expect(await tx.balance('nobody')).toBe(0);
          expect(await tx.counters(P.chen, '310', YEAR)).toEqual({ dedcUsed: 90000, fundUsed: 120000 });
          expect(await tx.counters(P.wang, '310', YEAR)).toEqual({ dedcUsed: 0, fundUsed: 0 });
          expect(tx.world().persons.size).toBe(f.store.world().persons.size);
          expect(tx.platformKey().equals(KEY)).toBe(true);
        });
        await expect(f.store.loadWorld(demoRaw(), demoWorld(), YEAR, KEY)).rejects.toThrow(/already holds a world/);
        const again = await f.open();
        expect(again.hasWorld()).toBe(true);
        expect(again.platformKey().equals(KEY)).toBe(true);
        await again.close();
      } finally {
        await f.store.close();
      }
    });
  });

  describe('transactions', () => {
    it('keep meta values and named sequences', async () => {
      const f = await h.fresh();
      try {
        await f.store.transaction(async (tx) => {
          expect(await tx.meta('k')).toBeUndefined();
          await tx.setMeta('k', 'one');
          await tx.setMeta('k', 'two');
          expect(await tx.meta('k')).toBe('two');
          expect([await tx.nextSeq('S'), await tx.nextSeq('S'), await tx.nextSeq('refmsg'), await tx.nextSeq('S')]).toEqual([1, 2, 1, 3]);
          expect(await tx.nextSeq('s')).toBe(1); // names are case-sensitive
          expect(await tx.nextSeq('odd name; "DROP"')).toBe(1);
        });
        const again = await f.open();
        expect(await again.transaction(async (tx) => [await tx.meta('k'), await tx.nextSeq('S'), await tx.nextSeq('odd name; "DROP"')])).toEqual(['two', 4, 2]);
        await again.close();
      } finally {
        await f.store.close();
      }
    });

    it('are whole or absent: a failure leaves nothing written', async () => {
      const f = await loaded(h);
      try {
        await expect(
          f.store.transaction(async (tx) => {
            await tx.setMeta('half', 'written');
            await debit(tx, P.li, 500);
            throw new Error('the handler refused');
          }),
        ).rejects.toThrow('the handler refused');
        await f.store.transaction(async (tx) => {
          expect(await tx.meta('half')).toBeUndefined();
          expect(await tx.balance(P.li)).toBe(286050);
        });
        expect(await f.store.settlementCount()).toBe(0);
      } finally {
        await f.store.close();
      }
    });

    it('keep messages, attempts and sign-ins; a msgid is stored once', async () => {
      const f = await h.fresh();
      try {
        const m = { msgid: 'H1', infno: '2101', fixmedins_code: 'P1', request: '{"a":1}', response: '{"b":2}', at: '2026-11-20 10:00:00' };
        const ids = await f.store.transaction(async (tx) => {
          expect(await tx.findMessage('H1')).toBeUndefined();
          await tx.saveMessage(m);
          await tx.recordSignIn({ sign_no: 'N1', fixmedins_code: 'P1', opter_no: null, at: m.at, msgid: 'H0' });
          return [await tx.recordAttempt({ msgid: null, infno: null, err_code: 'x', err_msg: 'y', at: m.at }), await tx.recordAttempt({ msgid: 'H2', infno: '2101', err_code: 'x', err_msg: 'y', at: m.at })];
        });
        expect(ids[1]).toBeGreaterThan(ids[0]!);
        expect(await f.store.transaction((tx) => tx.findMessage('H1'))).toEqual({ msgid: 'H1', infno: '2101', fixmedins_code: 'P1', request: '{"a":1}', response: '{"b":2}' });
        await expect(f.store.transaction((tx) => tx.saveMessage({ ...m, response: '{"other":1}' }))).rejects.toThrow();
        expect((await f.store.transaction((tx) => tx.findMessage('H1')))?.response).toBe('{"b":2}');
      } finally {
        await f.store.close();
      }
    });

    it('keep e-certificate uses', async () => {
      const f = await h.fresh();
      try {
        await f.store.transaction(async (tx) => {
          expect(await tx.ecertUsed('n1')).toBe(false);
          await tx.recordEcertUse({ nonce: 'n1', psn_no: P.wang, token: 't1', fixmedins_code: 'P1', used_at: 1_700_000_000, token_expires_at: 1_700_000_600 });
          expect(await tx.ecertUsed('n1')).toBe(true);
          expect(await tx.ecertToken('t1')).toEqual({ psn_no: P.wang, fixmedins_code: 'P1', token_expires_at: 1_700_000_600 });
          expect(await tx.ecertToken('t2')).toBeUndefined();
        });
      } finally {
        await f.store.close();
      }
    });
  });

  describe('settlement records', () => {
    it('apply debits (own and mutual aid) and move the year\'s counters', async () => {
      const f = await loaded(h);
      try {
        const rec = record({
          psn_no: P.wang, medfee_sumamt: 20000, inscp_scp_amt: 20000, act_pay_dedc: 5000, hifp_pay: 9000, fund_pay_sumamt: 9000,
          psn_part_amt: 11000, acct_pay: 10000, acct_mulaid_pay: 4000, psn_cash_pay: 1000, balc: 6000,
        });
        const debits: Debit[] = [{ psn_no: P.wang, role: 'own', amount: 6000 }, { psn_no: P.li, role: 'mulaid', amount: 4000 }];
        await f.store.transaction(async (tx) => {
          await tx.balance(P.wang);
          await tx.appendSettlement(rec, debits, []);
        });
        await f.store.transaction(async (tx) => {
          expect(await tx.balance(P.wang)).toBe(6000);
          expect(await tx.balance(P.li)).toBe(282050);
          expect(await tx.counters(P.wang, '310', YEAR)).toEqual({ dedcUsed: 5000, fundUsed: 9000 });
          expect(await tx.debits(rec.setl_id)).toEqual(debits);
          const stored = await tx.settlement(rec.setl_id);
          expect(stored).toMatchObject({ ...rec, seq: expect.any(Number) });
          expect(await tx.settlementByMsgid(rec.msgid)).toMatchObject({ setl_id: rec.setl_id });
          expect(await tx.settlement('none')).toBeUndefined();
          // a cancellation negates every amount and debit: balances and counters come back
          const cancel = record({
            ...Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, typeof v === 'number' && k !== 'year' && k !== 'pool_prop_selfpay' ? -v : v])),
            psn_no: P.wang, kind: 'cancel', init_setl_id: rec.setl_id, setl_id: `${rec.setl_id}C`, balc: 12000,
          } as SettlementRecord);
          await tx.appendSettlement(cancel, debits.map((d) => ({ ...d, amount: -d.amount })), []);
          expect(await tx.undoneBy(rec.setl_id)).toMatchObject({ setl_id: cancel.setl_id, kind: 'cancel' });
        });
        await f.store.transaction(async (tx) => {
          expect(await tx.balance(P.wang)).toBe(12000);
          expect(await tx.balance(P.li)).toBe(286050);
          expect(await tx.counters(P.wang, '310', YEAR)).toEqual({ dedcUsed: 0, fundUsed: 0 });
          const day = await tx.recordsForReconciliation({ fixmedins_code: 'P44030000001', from: '2026-11-20', to: '2026-11-20' });
          expect(day.map((r) => [r.setl_id, r.kind, r.in_force])).toEqual([[rec.setl_id, 'settle', 0], [`${rec.setl_id}C`, 'cancel', 1]]);
          expect(await tx.recordsForReconciliation({ fixmedins_code: 'P44030000001', from: '2026-11-20', to: '2026-11-20', setl_optins: '110000' })).toEqual([]);
        });
        expect(await f.store.settlementCount()).toBe(2);
      } finally {
        await f.store.close();
      }
    });

    it('tie fee lines to the settlement that holds them', async () => {
      const f = await loaded(h);
      try {
        const at = '2026-11-20 10:00:00';
        const visit = { mdtrt_id: 'MV1', fixmedins_code: 'H44030000002', psn_no: P.li, insutype: '310', med_type: '11', cert_type: '02', cert_no: 'x', holder_psn_no: null, ipt_otp_no: 'MZ1', begntime: at, msgid: 'V1', at };
        const line = (sn: string, amount: number) => ({ mdtrt_id: 'MV1', feedetl_sn: sn, chrg_bchno: 'B1', med_list_codg: 'X1', pric_e4: amount * 100, cnt_e4: 10_000, amount, hosp_appr_flag: null, body: `{"feedetl_sn":"${sn}"}`, msgid: 'F1', at });
        const ids = await f.store.transaction(async (tx) => {
          await tx.insertVisit(visit);
          await tx.addVisitEvent({ mdtrt_id: 'MV1', kind: 'info', body: '{"med_type":"14"}', msgid: 'I1', at });
          return [await tx.insertFeeLine(line('1', 300)), await tx.insertFeeLine(line('2', 700)), await tx.insertFeeLine({ ...line('3', 50), chrg_bchno: 'B2' })];
        });
        expect(ids[1]! - ids[0]!).toBe(1);
        await f.store.transaction(async (tx) => {
          expect(await tx.visit('MV1')).toMatchObject({ ...visit, cancelled: 0, info_med_type: '14' });
          expect((await tx.feeLines('MV1')).map((l) => [l.id, l.feedetl_sn, l.amount, l.pric_e4])).toEqual([[ids[0], '1', 300, 30000], [ids[1], '2', 700, 70000], [ids[2], '3', 50, 5000]]);
          expect((await tx.feeLines('MV1', { chrgBchno: 'B2' })).map((l) => l.feedetl_sn)).toEqual(['3']);
          await tx.withdrawFeeLine(ids[2]!, 'W1', at);
          const rec = record({ psn_no: P.li, mdtrt_id: 'MV1', clr_type: '11', fixmedins_code: 'H44030000002', balc: 286050 - 1000 });
          await tx.appendSettlement(rec, [{ psn_no: P.li, role: 'own', amount: 1000 }], [ids[0]!, ids[1]!]);
          expect(await tx.settlementLineIds(rec.setl_id)).toEqual([ids[0], ids[1]]);
          expect(await tx.feeLines('MV1', { unsettledOnly: true })).toEqual([]);
          expect(await tx.feeLines('MV1', { chrgBchno: '0000' })).toHaveLength(2);
          expect(await tx.linesTakenElsewhere([ids[0]!, ids[1]!, ids[2]!], 'other')).toBe(3);
          expect(await tx.linesTakenElsewhere([ids[0]!, ids[1]!], rec.setl_id)).toBe(0);
          expect(await tx.linesTakenElsewhere([], rec.setl_id)).toBe(0);
          await tx.addVisitEvent({ mdtrt_id: 'MV1', kind: 'cancel', body: '{}', msgid: 'C1', at });
          expect((await tx.visit('MV1'))?.cancelled).toBe(1);
          expect(await tx.visit('none')).toBeUndefined();
        });
        // a sale's own visit, opened, filled and settled in one transaction: the record covers all its lines
        const stored = { init_feedetl_sn: null, fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0, chrgitm_lv: '01', selfpay_prop: 0, pric_uplmt_amt: null, lmt_used_flag: '0', split_date: '2026-11-20', fee_ocur_time: null };
        const sale = await f.store.transaction(async (tx) => {
          await tx.insertVisit({ ...visit, mdtrt_id: 'MV2', msgid: 'V2' });
          await tx.insertStayLines([{ ...line('1', 400), mdtrt_id: 'MV2', ...stored }, { ...line('2', 600), mdtrt_id: 'MV2', ...stored }]);
          const rec = record({ psn_no: P.li, mdtrt_id: 'MV2', clr_type: '11', fixmedins_code: 'H44030000002', balc: 286050 - 2000 });
          await tx.appendSettlement(rec, [{ psn_no: P.li, role: 'own', amount: 1000 }], { allOf: 'MV2' });
          return rec;
        });
        await f.store.transaction(async (tx) => {
          expect((await tx.stayLines('MV2')).map((l) => [l.feedetl_sn, l.setl_id])).toEqual([['1', sale.setl_id], ['2', sale.setl_id]]);
          expect(await tx.balance(P.li)).toBe(286050 - 2000);
        });
      } finally {
        await f.store.close();
      }
    });

    it('are refused by the database when they break its rules, and nothing is written', async () => {
      const f = await loaded(h);
      try {
        const attempts: [string, (tx: LedgerTx) => Promise<unknown>][] = [
          ['total != funds + account + cash', (tx) => tx.appendSettlement(record({ psn_no: P.li, psn_cash_pay: 1 }), [{ psn_no: P.li, role: 'own', amount: 1000 }], [])],
          ['an overdraft', (tx) => tx.appendSettlement(record({ psn_no: P.wang, medfee_sumamt: 12001, acct_pay: 12001 }), [{ psn_no: P.wang, role: 'own', amount: 12001 }], [])],
          ['a counter below zero', (tx) => tx.appendSettlement(record({ psn_no: P.chen, act_pay_dedc: -90001 }), [], [])],
          ['a debit of no account', (tx) => tx.appendSettlement(record({ psn_no: P.li }), [{ psn_no: 'nobody', role: 'own', amount: 1000 }], [])],
          ['an unknown kind', (tx) => tx.appendSettlement(record({ psn_no: P.li, kind: 'refund' as 'settle' }), [], [])],
        ];
        for (const [what, attempt] of attempts) {
          await expect(f.store.transaction(async (tx) => {
            await tx.setMeta('written', what);
            await attempt(tx);
          }), what).rejects.toThrow();
        }
        expect(await f.store.settlementCount()).toBe(0);
        await f.store.transaction(async (tx) => {
          expect(await tx.meta('written')).toBeUndefined();
          expect(await tx.balance(P.wang)).toBe(12000);
          expect(await tx.counters(P.chen, '310', YEAR)).toEqual({ dedcUsed: 90000, fundUsed: 120000 });
        });
      } finally {
        await f.store.close();
      }
    });
  });

  describe('under concurrency', () => {
    it('applies one msgid once when many transactions carry it at once, and all answer the stored response', async () => {
      const f = await loaded(h);
      const other = await f.sibling();
      try {
        const msgid = 'SAME-MSGID-1';
        const handle = (store: LedgerStore, n: number) =>
          store.transaction(async (tx) => {
            const stored = await tx.findMessage(msgid);
            if (stored) return stored.response;
            const rec = await debit(tx, P.li, 1000, { msgid });
            const response = JSON.stringify({ setl_id: (rec as SettlementRecord).setl_id, by: n });
            await tx.saveMessage({ msgid, infno: '2102', fixmedins_code: 'P44030000001', request: '{}', response, at: '2026-11-20 10:00:00' });
            return response;
          });
        const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => handle(n % 2 ? other : f.store, n)));
        expect(new Set(answers).size).toBe(1);
        expect(await f.store.settlementCount()).toBe(1);
        expect(await f.store.transaction((tx) => tx.balance(P.li))).toBe(286050 - 1000);
      } finally {
        await other.close();
        await f.store.close();
      }
    });

    it('never overdraws one account under 16 concurrent debits, and loses no update', async () => {
      const f = await loaded(h);
      const other = await f.sibling();
      try {
        // 李国栋 has 35.60: sixteen debits of 3.00 can take eleven of them
        const results = await Promise.all(Array.from({ length: 16 }, (_, n) => (n % 2 ? other : f.store).transaction((tx) => debit(tx, P.liGuodong, 300))));
        const settled = results.filter((r) => r !== 'refused') as SettlementRecord[];
        expect(settled).toHaveLength(11);
        expect(new Set(settled.map((r) => r.balc))).toEqual(new Set(Array.from({ length: 11 }, (_, i) => 3560 - 300 * (i + 1))));
        expect(await f.store.transaction((tx) => tx.balance(P.liGuodong))).toBe(3560 - 11 * 300);
        expect(await f.store.settlementCount()).toBe(11);
      } finally {
        await other.close();
        await f.store.close();
      }
    });

    it('lets one family settle from each other\'s accounts at once: no deadlock reaches the caller, no account overdrawn', async () => {
      const f = await loaded(h);
      const other = await f.sibling();
      try {
        // 王丽华 pays from her own and then 李建国's account; 李建国 from his own and then hers: opposite orders
        const pay = (store: LedgerStore, patient: string, donor: string) =>
          store.transaction(async (tx) => {
            const own = await tx.balance(patient);
            const theirs = await tx.balance(donor);
            const fromOwn = Math.min(own, 2000);
            const fromDonor = Math.min(theirs, 2000 - fromOwn);
            const rec = record({ psn_no: patient, medfee_sumamt: 2000, inscp_scp_amt: 2000, psn_part_amt: 2000, acct_pay: fromOwn + fromDonor, acct_mulaid_pay: fromDonor, psn_cash_pay: 2000 - fromOwn - fromDonor, balc: own - fromOwn });
            const debits: Debit[] = [{ psn_no: patient, role: 'own', amount: fromOwn }, ...(fromDonor > 0 ? [{ psn_no: donor, role: 'mulaid' as const, amount: fromDonor }] : [])];
            await tx.appendSettlement(rec, debits, []);
            return fromOwn + fromDonor;
          });
        const paid = await Promise.all(Array.from({ length: 16 }, (_, n) => (n % 2 ? pay(other, P.li, P.wang) : pay(f.store, P.wang, P.li))));
        const balances = await f.store.transaction(async (tx) => [await tx.balance(P.wang), await tx.balance(P.li)]);
        expect(balances.every((b) => b >= 0)).toBe(true);
        expect(paid.reduce((s, p) => s + p, 0)).toBe(12000 + 286050 - balances[0]! - balances[1]!);
      } finally {
        await other.close();
        await f.store.close();
      }
    });

    it('claims a request nonce once per paasid within ten minutes, however many ask at once', async () => {
      const f = await h.fresh();
      const other = await f.sibling();
      try {
        const t = 1_790_000_000;
        const claims = await Promise.all(Array.from({ length: 8 }, (_, n) => (n % 2 ? other : f.store).transaction((tx) => tx.claimNonce('paas-1', 'nonce-1', t))));
        expect(claims.filter(Boolean)).toHaveLength(1);
        const later = await f.store.transaction(async (tx) => [
          await tx.claimNonce('paas-2', 'nonce-1', t), // another paasid's nonce space
          await tx.claimNonce('paas-1', 'nonce-1', t + 599),
          await tx.claimNonce('paas-1', 'nonce-1', t + 600),
          await tx.claimNonce('paas-1', 'nonce-1', t + 700),
        ]);
        expect(later).toEqual([true, false, true, false]);
        // a claim rolled back with its transaction was never made
        await expect(f.store.transaction(async (tx) => {
          expect(await tx.claimNonce('paas-1', 'nonce-2', t)).toBe(true);
          throw new Error('refused after the claim');
        })).rejects.toThrow('refused after the claim');
        expect(await f.store.transaction((tx) => tx.claimNonce('paas-1', 'nonce-2', t))).toBe(true);
      } finally {
        await other.close();
        await f.store.close();
      }
    });
  });

  describe('the hash chain', () => {
    async function withRecords(n: number) {
      const f = await loaded(h);
      const recs: SettlementRecord[] = [];
      for (let i = 0; i < n; i++) recs.push((await f.store.transaction((tx) => debit(tx, P.li, 100 + i))) as SettlementRecord);
      await f.store.seal();
      return { ...f, recs };
    }

    it('verifies a ledger nobody touched, after records from many connections at once', async () => {
      const f = await loaded(h);
      const other = await f.sibling();
      try {
        await Promise.all(Array.from({ length: 24 }, (_, n) => (n % 2 ? other : f.store).transaction((tx) => debit(tx, n % 3 ? P.li : P.chen, 100 + n))));
        expect(await f.store.verifyChain()).toEqual({ ok: true, records: 24 });
        expect(await other.verifyChain()).toEqual({ ok: true, records: 24 });
        expect(await f.store.seal()).toBe(0);
      } finally {
        await other.close();
        await f.store.close();
      }
    });

    it('shows a changed record', async () => {
      const f = await withRecords(4);
      try {
        await f.raw('UPDATE settlements SET psn_cash_pay = psn_cash_pay + 1, medfee_sumamt = medfee_sumamt + 1 WHERE setl_id = ?', [f.recs[1]!.setl_id]);
        expect(await f.store.verifyChain()).toMatchObject({ ok: false, records: 2, setl_id: f.recs[1]!.setl_id, problem: 'the record was changed' });
      } finally {
        await f.store.close();
      }
    });

    it('shows a deleted record, and deleted newest records', async () => {
      const f = await withRecords(4);
      try {
        await f.raw('DELETE FROM settlement_debits WHERE setl_id = ?', [f.recs[1]!.setl_id]);
        await f.raw('DELETE FROM settlements WHERE setl_id = ?', [f.recs[1]!.setl_id]);
        expect(await f.store.verifyChain()).toMatchObject({ ok: false, records: 2, setl_id: f.recs[2]!.setl_id, problem: 'the record before it was deleted, or records were reordered' });
      } finally {
        await f.store.close();
      }
      const g = await withRecords(3);
      try {
        await g.raw('DELETE FROM settlement_debits WHERE setl_id = ?', [g.recs[2]!.setl_id]);
        await g.raw('DELETE FROM settlements WHERE setl_id = ?', [g.recs[2]!.setl_id]);
        expect(await g.store.verifyChain()).toEqual({ ok: false, records: 2, seq: null, setl_id: null, problem: 'the newest record(s) were deleted' });
      } finally {
        await g.store.close();
      }
    });
  });
}
