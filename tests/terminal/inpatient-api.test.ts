/**
 * The inpatient window's API, against `medpos terminal --platform URL` and the stand-in platform of
 * ./inpatient-platform.ts: bodies refused by the terminal's own validation send nothing; a settlement
 * whose answer was lost is frozen, then sent again with the same msgid and applied once; a stay
 * admitted before a restart is found again through 5201 and 5204; withdrawal, discharge and their
 * cancellations; a pharmacy has no inpatient window.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, query, startTerminal, type TerminalChild } from './helpers.ts';
import { InpatientStandIn } from './inpatient-platform.ts';

const PERSON = { psn_no: '44030000000000000902', certno: '440300198001010022', psn_name: '住院乙', insutype: '310', balcFen: 100_000 };
const KINDS = { XB05BAP010B001: { lv: '01' }, XJ01DCT040A001: { lv: '02', selfpay: 0.1 } } as const;

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url.replace(/\/$/, '') + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('the inpatient window API', { timeout: 60_000 }, () => {
  let platform: InpatientStandIn;
  let dir: string;
  let till: string;
  let term: TerminalChild;
  const start = () => startTerminal(['--institution', 'H44030000002', '--terminal-id', 'ZY02', '--platform', platform.url, '--till', till]);
  const identify = async (url: string) => {
    await call(url, 'POST', '/api/signin', { opter_no: 'Z002', opter_name: '住院收费' });
    await call(url, 'POST', '/api/checkout');
    const r = await call(url, 'POST', '/api/checkout/identify', { method: 'id', certno: PERSON.certno });
    expect([r.status, r.body.err_code]).toEqual([200, undefined]);
  };

  beforeAll(async () => {
    platform = new InpatientStandIn({ ...PERSON }, KINDS, { '150000|1': 'I4mid' });
    await platform.start();
    dir = mkdtempSync(join(tmpdir(), 'medpos-ipt-api-'));
    till = join(dir, 'till.db');
    term = await start();
    await identify(term.url);
  });

  afterAll(async () => {
    await term?.stop();
    await platform?.stop();
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses malformed bodies with invalid_input and sends nothing to the platform', async () => {
    const before = platform.calls.length;
    for (const [path, body] of [
      ['/api/inpatient/admit', { med_type: '11' }],
      ['/api/inpatient/fees', { lines: [] }],
      ['/api/inpatient/fees', { lines: [{ hilist_code: 'X', pric: 1.234, cnt: 1 }] }],
      ['/api/inpatient/refund', { feedetl_sn: '0001', cnt: -1 }],
      ['/api/inpatient/trial', { mid: 'yes', acct_used: true }],
      ['/api/inpatient/settle', { tender: 'cheque' }],
    ] as const) {
      const r = await call(term.url, 'POST', path, body);
      expect([path, r.status, r.body.err_code]).toEqual([path, 400, 'invalid_input']);
    }
    expect((await call(term.url, 'POST', '/api/inpatient/discharge')).body.err_code).toBe('no_stay');
    expect(platform.calls.length).toBe(before);
  });

  it('freezes a stay whose 2304 answer was lost, then applies the settlement once with the same msgid', async () => {
    const admitted = await call(term.url, 'POST', '/api/inpatient/admit', { med_type: '21' });
    expect(admitted.body.stay.state).toBe('ADMITTED');
    const up = await call(term.url, 'POST', '/api/inpatient/fees', { lines: [{ hilist_code: 'XB05BAP010B001', pric: 50, cnt: 10 }, { hilist_code: 'XJ01DCT040A001', pric: 250, cnt: 4 }] });
    expect(up.body.stay.unsettled_sum).toBe(1500);
    expect((await call(term.url, 'POST', '/api/inpatient/settle', { tender: 'bank' })).body.err_code).toBe('trial_first');
    expect((await call(term.url, 'POST', '/api/inpatient/trial', { mid: true, acct_used: true })).body.stay.trial.fund_pay_sumamt).toBe(609);

    platform.loseAnswerOf = '2304';
    const lost = await call(term.url, 'POST', '/api/inpatient/settle', { tender: 'bank' });
    expect([lost.status, lost.body.err_code]).toEqual([503, 'platform_unavailable']);
    expect(platform.settlements).toHaveLength(1); // applied on the platform, the answer lost
    expect((await call(term.url, 'POST', '/api/inpatient/fees', { lines: [{ hilist_code: 'XB05BAP010B001', pric: 50, cnt: 1 }] })).body.err_code).toBe('settlement_pending');

    const again = await call(term.url, 'POST', '/api/inpatient/settle', { tender: 'bank' });
    expect(again.status).toBe(200);
    const sent = platform.calls.filter((c) => c.infno === '2304');
    expect(sent).toHaveLength(1); // the resend was answered from the first, not applied again
    expect(platform.settlements).toHaveLength(1);
    const setlId = platform.settlements[0]!.setl_id;
    expect(again.body.stay.settlements.map((s: { setl_id: string }) => s.setl_id)).toEqual([setlId]);
    expect(query(till, 'SELECT COUNT(*) AS n FROM terminal_sales WHERE setl_id = ?', setlId)).toEqual([{ n: 1 }]);
  });

  it('finds the stay again after a restart: 5201, then its lines by 5204', async () => {
    await term.stop();
    term = await start();
    await identify(term.url);
    const found = await call(term.url, 'POST', '/api/inpatient/find');
    expect(found.status).toBe(200);
    const s = found.body.stay;
    expect([s.state, s.med_type, s.lines.length, s.unsettled_count]).toEqual(['ADMITTED', '21', 2, 0]);
    expect(s.lines.map((l: { amount: number; split: { inscp_scp_amt: number } }) => [l.amount, l.split.inscp_scp_amt])).toEqual([[500, 500], [1000, 900]]);
    // the next uploaded line continues the stay's numbering
    const up = await call(term.url, 'POST', '/api/inpatient/fees', { lines: [{ hilist_code: 'XB05BAP010B001', pric: 50, cnt: 1 }] });
    expect(up.body.stay.lines.at(-1).feedetl_sn).toBe('0003');
  });

  it('withdraws a line (2302), discharges and cancels the discharge (2405); 2404 is refused while lines are live', async () => {
    const w = await call(term.url, 'POST', '/api/inpatient/withdraw', { feedetl_sn: '0003' });
    expect(w.body.stay.lines.map((l: { feedetl_sn: string }) => l.feedetl_sn)).toEqual(['0001', '0002']);
    expect(platform.lines.find((l) => l.feedetl_sn === '0003')!.live).toBe(false);
    expect((await call(term.url, 'POST', '/api/inpatient/discharge')).body.stay.state).toBe('DISCHARGED');
    expect((await call(term.url, 'POST', '/api/inpatient/fees', { lines: [{ hilist_code: 'XB05BAP010B001', pric: 50, cnt: 1 }] })).body.err_code).toBe('stay_discharged');
    const back = await call(term.url, 'POST', '/api/inpatient/discharge/cancel');
    expect([back.body.stay.state, back.body.stay.endtime]).toEqual(['ADMITTED', null]);
    const refused = await call(term.url, 'POST', '/api/inpatient/admission/cancel');
    expect([refused.status, refused.body.err_code]).toEqual([422, 'fee_lines_exist']);
    expect([...platform.stays.values()].at(-1)!.state).toBe('ADMITTED');
  });

  it('has no inpatient window in a pharmacy', async () => {
    const pharmacy = await startTerminal(['--institution', 'P44030000001']);
    try {
      expect((await call(pharmacy.url, 'GET', '/api/inpatient')).status).toBe(404);
    } finally {
      await pharmacy.stop();
    }
  });
});
