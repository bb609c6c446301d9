/** What the benchmark shares: a ledger with the demo world, and a stream of distinct sales. */
import { FixedClock, localDate } from '../src/core/clock.ts';
import { parseWorld, readWorldFiles } from '../src/core/world.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { createPlatform } from '../src/app.ts';
import { newPlatformKey } from '../src/platform/ecert.ts';

export type Figures = Record<string, any>;

export function freshLedger(path: string) {
  const clock = new FixedClock('2026-11-20T10:00:00+08:00');
  const ledger = new Ledger(path);
  const raw = readWorldFiles('fixtures/worlds/demo');
  ledger.loadWorld(raw, parseWorld(raw), Number(localDate(clock).slice(0, 4)), newPlatformKey());
  return { ledger, platform: createPlatform(ledger, clock) };
}

/** A 2102 for an employee with plenty of balance; the price varies so bodies differ. */
export function saleRequest(i: number) {
  const pric = 1 + (i % 50) / 100;
  return {
    infno: '2102',
    msgid: `B${i}`,
    fixmedins_code: 'P44030000001',
    insuplc_admdvs: '440300',
    input: {
      druginfo: { psn_no: '44030000000000000002', mdtrt_cert_type: '02', mdtrt_cert_no: '440303198203140171', insutype: '310', med_type: '41', medfee_sumamt: pric, acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric, cnt: 1, det_item_fee_sumamt: pric }],
    },
  };
}
