import { describe, expect, it } from 'vitest';
import { issueEcert } from '../../src/platform/ecert.ts';
import { envelope, freshPlatform, WORLDS } from '../helpers.ts';

const PHARMACY = 'P44030000001';
const PSN = '44030000000000000005';

function query(code: string, org = PHARMACY) {
  return envelope('ec.query', org, { data: { orgId: org, businessType: '02121', operatorId: 'c1', operatorName: 'cashier', ecQrCode: code } }, '');
}

describe('e-certificates (ecert.md)', () => {
  it('an accepted code gives an ecToken that identifies and settles a pharmacy purchase', async () => {
    const { platform, ledger, clock } = await freshPlatform(WORLDS.demo);
    const code = await issueEcert(ledger, clock, PSN);
    expect(code.length).toBeLessThanOrEqual(256);
    const res = await platform.call(query(code));
    expect(res).toMatchObject({ infcode: 0, output: { data: { idNo: '440305198807300554', userName: '陈喆', insuOrg: '440300' } } });
    const token = (res.output as { data: { ecToken: string } }).data.ecToken;
    const who = await platform.call(envelope('1101', PHARMACY, { data: { mdtrt_cert_type: '01', mdtrt_cert_no: token } }));
    expect(who).toMatchObject({ infcode: 0, output: { baseinfo: { psn_no: PSN } } });
    const sale = {
      druginfo: { psn_no: PSN, mdtrt_cert_type: '01', mdtrt_cert_no: token, insutype: '310', med_type: '41', medfee_sumamt: 25, acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric: 12.5, cnt: 2, det_item_fee_sumamt: 25 }],
    };
    const done = await platform.call(envelope('2102', PHARMACY, sale));
    expect(done).toMatchObject({ infcode: 0, output: { setlinfo: { mdtrt_cert_type: '01', acct_pay: 25, balc: 1495.3 } } });
    // the token belongs to this visit's institution and expires
    const register = { data: { psn_no: PSN, insutype: '310', mdtrt_cert_type: '01', mdtrt_cert_no: token, ipt_otp_no: 'V9' } };
    expect(await platform.call(envelope('2201', 'H44030000001', register))).toMatchObject({ infcode: -1, err_code: 'ecert_token_unknown' });
    clock.advance(4 * 3600_000);
    expect(await platform.call(envelope('2101', PHARMACY, sale))).toMatchObject({ infcode: -1, err_code: 'ecert_token_expired' });
  });

  it('refuses an expired, a tampered, a malformed and a reused code, writing nothing but the refusal', async () => {
    const { platform, ledger, clock } = await freshPlatform(WORLDS.demo);
    const code = await issueEcert(ledger, clock, PSN);
    const uses = () => ledger.db.prepare('SELECT count(*) AS n FROM ecert_uses').get() as { n: number };
    const tampered = code.slice(0, 10) + (code[10] === 'A' ? 'B' : 'A') + code.slice(11);
    expect(await platform.call(query(tampered))).toMatchObject({ infcode: -1, err_code: 'ecert_tampered' });
    for (const bad of ['hello', 'MPEC1.', code + '.', code.replace('MPEC1', 'MPEC2'), '\u0000\u0001']) {
      expect(await platform.call(query(bad))).toMatchObject({ infcode: -1, err_code: 'ecert_malformed' });
    }
    expect(uses().n).toBe(0);
    expect((await platform.call(query(code))).infcode).toBe(0);
    expect(await platform.call(query(code))).toMatchObject({ infcode: -1, err_code: 'ecert_used' });
    const old = await issueEcert(ledger, clock, PSN);
    clock.advance(61_000);
    expect(await platform.call(query(old))).toMatchObject({ infcode: -1, err_code: 'ecert_expired' });
    expect(uses().n).toBe(1);
    expect(ledger.db.prepare("SELECT count(*) AS n FROM attempts WHERE err_code LIKE 'ecert_%'").get()).toEqual({ n: 8 });
  });

  it('a code signed by another database is refused as tampered', async () => {
    const a = await freshPlatform(WORLDS.demo);
    const b = await freshPlatform(WORLDS.demo);
    const code = await issueEcert(a.ledger, a.clock, PSN);
    expect(await b.platform.call(query(code))).toMatchObject({ infcode: -1, err_code: 'ecert_tampered' });
  });
});
