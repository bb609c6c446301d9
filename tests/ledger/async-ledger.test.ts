import { describe, expect, it } from 'vitest';
import { envelope, freshPlatform, WORLDS } from '../helpers.ts';

const FAMILY_CHILD = { psn_no: '44030000000000000003', certno: '440304201605120318' };
const DONORS = ['44030000000000000001', '44030000000000000002'];

function sale(msgid: string) {
  return envelope(
    '2102',
    'P44030000001',
    {
      druginfo: { psn_no: FAMILY_CHILD.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: FAMILY_CHILD.certno, insutype: '390', med_type: '41', medfee_sumamt: 30, acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric: 30, cnt: 1, det_item_fee_sumamt: 30 }],
    },
    msgid,
  );
}

describe('the SQLite engine behind the async interface', () => {
  it('runs transactions started at once in one process one after another: no overdraft, no lost update', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const balances = () => ledger.transaction(async (tx) => Promise.all(DONORS.map((p) => tx.balance(p))));
    const opening = (await balances()).reduce((s, b) => s + b, 0);
    const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => platform.call(sale(`ASYNC-${i}`))));
    expect(answers.filter((r) => r.infcode !== 0)).toEqual([]);
    const paid = answers.reduce((s, r) => s + Math.round((r.output as { setlinfo: { acct_pay: number } }).setlinfo.acct_pay * 100), 0);
    const closing = await balances();
    expect(paid).toBe(opening); // 120 x 30.00 asks for more than the family holds: the accounts run dry exactly
    expect(closing).toEqual([0, 0]);
    expect(await ledger.settlementCount()).toBe(120);
    expect(await ledger.verifyChain()).toEqual({ ok: true, records: 120 });
  });

  it('applies a msgid sent twice at once exactly once, and answers both with the stored response', async () => {
    const { platform, ledger } = await freshPlatform(WORLDS.demo);
    const [a, b] = await Promise.all([platform.call(sale('TWICE-1')), platform.call(sale('TWICE-1'))]);
    expect(a.infcode).toBe(0);
    expect(b).toEqual(a);
    expect(await ledger.settlementCount()).toBe(1);
  });

  it('rolls back everything a transaction wrote when its function throws', async () => {
    const { ledger } = await freshPlatform(WORLDS.demo);
    await expect(
      ledger.transaction(async (tx) => {
        await tx.setMeta('probe', 'written');
        await tx.nextSeq('probe');
        throw new Error('refused after writing');
      }),
    ).rejects.toThrow('refused after writing');
    expect(await ledger.transaction((tx) => tx.meta('probe'))).toBeUndefined();
    expect(await ledger.transaction((tx) => tx.nextSeq('probe'))).toBe(1);
  });
});
