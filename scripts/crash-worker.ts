/**
 * The process `npm run crash` kills: settles and cancels against a ledger file as fast as it can.
 * Before each call it prints the whole request on one line, so that the parent can retry the
 * message it was killed in. Usage: node --import tsx scripts/crash-worker.ts DB SEED
 */
import { FixedClock } from '../src/core/clock.ts';
import { SqliteLedger } from '../src/ledger/sqlite.ts';
import { createPlatform } from '../src/app.ts';

const [db, seedText] = process.argv.slice(2);
const ledger = new SqliteLedger(db!);
const platform = createPlatform(ledger, new FixedClock('2026-11-20T10:00:00+08:00'));
let seed = Number(seedText) >>> 0 || 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const CRASH_PEOPLE = [
  ['44030000000000000003', '440304201605120318', '390'], // mutual aid from two donors
  ['44030000000000000005', '440305198807300554', '310'],
  ['44030000000000000004', '440303195411020138', '310'], // own account, then mutual aid
] as const;

for (let i = 0; ; i++) {
  const msgid = `K${seedText}-${i}`;
  let request: unknown;
  const open = ledger.db
    .prepare(
      `SELECT setl_id, mdtrt_id, psn_no FROM settlements s WHERE kind = 'settle' AND fixmedins_code = 'P44030000001'
       AND NOT EXISTS (SELECT 1 FROM settlements u WHERE u.init_setl_id = s.setl_id) ORDER BY seq DESC LIMIT 1`,
    )
    .get() as { setl_id: string; mdtrt_id: string; psn_no: string } | undefined;
  if (open && rand() < 0.3) {
    request = { infno: '2103', msgid, fixmedins_code: 'P44030000001', insuplc_admdvs: '440300', input: { data: open } };
  } else {
    const [psn, certno, insutype] = CRASH_PEOPLE[Math.floor(rand() * CRASH_PEOPLE.length)]!;
    const pric = Math.round(rand() * 20000 + 100) / 100;
    request = {
      infno: '2102',
      msgid,
      fixmedins_code: 'P44030000001',
      insuplc_admdvs: '440300',
      input: {
        druginfo: { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: certno, insutype, med_type: '41', medfee_sumamt: pric, acct_used_flag: '1' },
        drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric, cnt: 1, det_item_fee_sumamt: pric }],
      },
    };
  }
  process.stdout.write(`${JSON.stringify(request)}\n`);
  const r = await platform.call(request);
  if (r.infcode !== 0) {
    process.stderr.write(`crash-worker: ${msgid} refused: ${r.err_code} ${r.err_msg}\n`);
    process.exit(3);
  }
}
