/**
 * A separate process that settles pharmacy purchases for one child against the family's accounts,
 * as fast as it can; used by the concurrency test. Prints one JSON summary on standard output.
 * Usage: node --import tsx tests/ledger/settle-worker.ts DB WORKER COUNT
 */
import { FixedClock } from '../../src/core/clock.ts';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';
import { createPlatform } from '../../src/app.ts';

const [db, worker, count] = process.argv.slice(2);
const ledger = new SqliteLedger(db!);
const platform = createPlatform(ledger, new FixedClock('2026-11-20T10:00:00+08:00'));
const results: { infcode: number; err_code?: string; acct_pay?: number; setl_id?: string }[] = [];
for (let i = 0; i < Number(count); i++) {
  const r = await platform.call({
    infno: '2102',
    msgid: `W${worker}-${i}`,
    fixmedins_code: 'P44030000001',
    insuplc_admdvs: '440300',
    input: {
      druginfo: { psn_no: '44030000000000000003', mdtrt_cert_type: '02', mdtrt_cert_no: '440304201605120318', insutype: '390', med_type: '41', medfee_sumamt: 30, acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric: 30, cnt: 1, det_item_fee_sumamt: 30 }],
    },
  });
  const info = (r.output as { setlinfo?: { acct_pay: number; setl_id: string } } | null)?.setlinfo;
  results.push({ infcode: r.infcode, err_code: r.err_code, acct_pay: info?.acct_pay, setl_id: info?.setl_id });
}
await ledger.close();
process.stdout.write(JSON.stringify(results));
