/**
 * One "server" for the multi-process test: opens the PostgreSQL ledger at argv[2] and makes
 * argv[3] settlements of 30.00 for 王丽华, from her account and then her husband's (mutual aid),
 * each under its own msgid as the platform would; prints what each one took, as JSON.
 */
import { openPgLedger } from '../../src/ledger/pg.ts';

const [url, id, count] = process.argv.slice(2) as [string, string, string];
const PATIENT = '44030000000000000001';
const DONOR = '44030000000000000002';
const store = await openPgLedger(url, { poolSize: 4 });
const results: { msgid: string; acct_pay: number }[] = [];
try {
  for (let i = 0; i < Number(count); i++) {
    const msgid = `W${id}-${i}`;
    results.push(
      await store.transaction(async (tx) => {
        const stored = await tx.findMessage(msgid);
        if (stored) return JSON.parse(stored.response) as { msgid: string; acct_pay: number };
        const own = await tx.balance(PATIENT);
        const donor = await tx.balance(DONOR);
        const fromOwn = Math.min(own, 3000);
        const fromDonor = Math.min(donor, 3000 - fromOwn);
        const seq = await tx.nextSeq('S');
        await tx.appendSettlement(
          {
            setl_id: `S${seq}`, kind: 'settle', init_setl_id: null, mdtrt_id: `M${seq}`, psn_no: PATIENT, insutype: '310', psn_type: '11', clr_type: '41',
            clr_optins: '440300', fixmedins_code: 'P44030000001', med_type: '41', setl_time: '2026-11-20 10:00:00', setl_date: '2026-11-20', year: 2026,
            medfee_sumamt: 3000, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 0, inscp_scp_amt: 3000, act_pay_dedc: 0, hifp_pay: 0, fund_pay_sumamt: 0,
            psn_part_amt: 3000, acct_pay: fromOwn + fromDonor, acct_mulaid_pay: fromDonor, psn_cash_pay: 3000 - fromOwn - fromDonor, balc: own - fromOwn,
            mdtrt_cert_type: '02', pool_prop_selfpay: 0, msgid,
          },
          [{ psn_no: PATIENT, role: 'own' as const, amount: fromOwn }, ...(fromDonor > 0 ? [{ psn_no: DONOR, role: 'mulaid' as const, amount: fromDonor }] : [])].filter((d) => d.amount > 0),
          [],
        );
        const answer = { msgid, acct_pay: fromOwn + fromDonor };
        await tx.saveMessage({ msgid, infno: '2102', fixmedins_code: 'P44030000001', request: '{}', response: JSON.stringify(answer), at: '2026-11-20 10:00:00' });
        return answer;
      }),
    );
  }
} finally {
  await store.close();
}
process.stdout.write(JSON.stringify(results));
