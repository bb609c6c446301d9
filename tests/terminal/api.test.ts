/**
 * The terminal over HTTP, against the real server (`medpos terminal --port 0`, a new database of
 * the demo world): the national transaction interface at /fsi/api/rsfComIfsService/callService
 * (hospital software's outpatient chain, refusals, bad bodies), the page, the events stream, and
 * the page's own API (validation, its err_codes, an outpatient sale and a partial return).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, query, startTerminal, type TerminalChild } from './helpers.ts';

const HOSPITAL = 'H44030000002'; // 示范市福田区人民医院, hosp_lv 2
const PATH = 'fsi/api/rsfComIfsService/callService';
const LIU_YANG = { psn_no: '44030000000000000006', certno: '44030619900218071X', card: 'A00000006' };

let t: TerminalChild;
let msgSeq = 0;

function envelope(infno: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  msgSeq += 1;
  return {
    infno,
    msgid: `${HOSPITAL}20261120095900${String(msgSeq).padStart(4, '0')}`, // hospital software's own msgids (the terminal's carry the clock time)
    mdtrtarea_admvs: '440300',
    insuplc_admdvs: '440300',
    recer_sys_code: 'HIS',
    infver: 'V1.0',
    opter_type: '1',
    opter: 'D01',
    opter_name: 'HIS',
    inf_time: '2026-11-20 10:00:00',
    fixmedins_code: HOSPITAL,
    fixmedins_name: '示范市福田区人民医院',
    ...extra,
    input,
  };
}

async function post(body: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(t.url + PATH, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const json = (await res.json()) as { infcode: number; err_code?: string; err_msg: string | null; output: any };
  return { status: res.status, type: res.headers.get('content-type') ?? '', ...json };
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(t.url + path.replace(/^\//, ''), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  t = await startTerminal(['--institution', HOSPITAL, '--terminal-id', 'FEE01', '--tester']);
});
afterAll(async () => {
  await t?.stop();
  await killAll();
});

describe('the terminal process', () => {
  it('prints its URL, bound to 127.0.0.1, and serves the page with the institution in the HTML', async () => {
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(t.url);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain(HOSPITAL);
    expect(html).toContain('示范市福田区人民医院');
    expect(html).toContain('FEE01');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/); // no CDN
    for (const asset of ['app.js', 'app.css']) expect((await fetch(t.url + asset)).status).toBe(200);
  });

  it('pushes its state first on the event stream', async () => {
    const ac = new AbortController();
    const res = await fetch(`${t.url}events`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let got = '';
    while (!got.includes('\n\n', got.indexOf('event: state'))) {
      const { value, done } = await reader.read();
      if (done) break;
      got += new TextDecoder().decode(value);
    }
    ac.abort();
    const data = JSON.parse(/event: state\ndata: (.*)\n/.exec(got)![1]!);
    expect(data.institution.fixmedins_code).toBe(HOSPITAL);
    expect(data.mode).toBe('outpatient');
    expect(data.devices.readers.map((r: { id: string }) => r.id)).toContain('pcsc');
  });
});

describe('the transaction interface (hospital software, curl-like)', () => {
  it('runs the whole outpatient chain 9001, 1101, 2201, 2203, 2204, 2206, 2207, 2208', async () => {
    const sign = await post(envelope('9001', { signIn: { opter_no: 'D01', mac: '00-11-22-33-44-55', ip: '10.0.0.5' } }));
    expect(sign.status).toBe(200);
    expect(sign.type).toContain('application/json');
    expect(sign.infcode).toBe(0);
    const signNo = sign.output.signinoutb.sign_no as string;

    const info = await post(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: LIU_YANG.certno, psn_cert_type: '01', certno: LIU_YANG.certno } }, { sign_no: signNo }));
    expect(info.infcode).toBe(0);
    expect(info.output.baseinfo.psn_no).toBe(LIU_YANG.psn_no);
    expect(info.output.insuinfo[0].balc).toBe(968.2);

    const reg = await post(
      envelope('2201', { data: { psn_no: LIU_YANG.psn_no, insutype: '310', begntime: '2026-11-20 09:40:00', mdtrt_cert_type: '02', mdtrt_cert_no: LIU_YANG.certno, ipt_otp_no: 'MZ-API-0001' } }, { sign_no: signNo }),
    );
    expect(reg.infcode).toBe(0);
    const mdtrt = reg.output.data.mdtrt_id as string;

    const visitInfo = await post(envelope('2203', { mdtrtinfo: { mdtrt_id: mdtrt, psn_no: LIU_YANG.psn_no, med_type: '11', dise_codg: 'J06.900', dise_name: '急性上呼吸道感染' }, diseinfo: [] }));
    expect(visitInfo.infcode).toBe(0);

    const line = (sn: string, code: string, pric: number, cnt: number) => ({
      feedetl_sn: sn,
      mdtrt_id: mdtrt,
      psn_no: LIU_YANG.psn_no,
      chrg_bchno: 'B1',
      med_list_codg: code,
      medins_list_codg: `M${code}`,
      det_item_fee_sumamt: Math.round(pric * cnt * 100) / 100,
      cnt,
      pric,
      fee_ocur_time: '2026-11-20 09:58:00',
    });
    const fees = await post(envelope('2204', { feedetail: [line('F1', '002501020150000', 25, 1), line('F2', '001102000010000', 20, 1), line('F3', 'XJ01CAA040A001', 12.5, 2)] }));
    expect(fees.infcode).toBe(0);
    expect(fees.output.result.map((r: { inscp_scp_amt: number }) => r.inscp_scp_amt)).toEqual([25, 20, 25]);

    const bill = { psn_no: LIU_YANG.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: LIU_YANG.certno, med_type: '11', medfee_sumamt: 70, psn_setlway: '01', mdtrt_id: mdtrt, chrg_bchno: 'B1', acct_used_flag: '1', insutype: '310' };
    const pre = await post(envelope('2206', { data: bill }));
    expect(pre.infcode).toBe(0);
    expect(pre.output.setlinfo).toMatchObject({ medfee_sumamt: 70, inscp_scp_amt: 70, act_pay_dedc: 0, hifp_pay: 42, acct_pay: 28, psn_cash_pay: 0, balc: 940.2 });
    expect(query(t.db, 'SELECT count(*) AS n FROM settlements')[0]).toEqual({ n: 0 }); // pre-settlement writes nothing

    const settleEnv = envelope('2207', { data: bill });
    const done = await post(settleEnv);
    expect(done.infcode).toBe(0);
    expect(done.output.setlinfo).toMatchObject({ fund_pay_sumamt: 42, acct_pay: 28, psn_cash_pay: 0, balc: 940.2 });
    const setlId = done.output.setlinfo.setl_id as string;
    const again = await post(settleEnv); // a retried msgid: the stored answer, nothing applied twice
    expect(again.output.setlinfo.setl_id).toBe(setlId);
    const rows = query<{ kind: string; medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number; clr_type: string }>(
      t.db,
      'SELECT kind, medfee_sumamt, fund_pay_sumamt, acct_pay, clr_type FROM settlements WHERE setl_id = ?',
      setlId,
    );
    expect(rows).toEqual([{ kind: 'settle', medfee_sumamt: 7000, fund_pay_sumamt: 4200, acct_pay: 2800, clr_type: '11' }]);

    const cancel = await post(envelope('2208', { data: { setl_id: setlId, mdtrt_id: mdtrt, psn_no: LIU_YANG.psn_no } }));
    expect(cancel.infcode).toBe(0);
    expect(cancel.output.setlinfo).toMatchObject({ init_setl_id: setlId, medfee_sumamt: -70, refd_setl_flag: '1', balc: 968.2 });
    expect(query(t.db, 'SELECT balc FROM accounts WHERE psn_no = ?', LIU_YANG.psn_no)).toEqual([{ balc: 96820 }]);

    const twice = await post(envelope('2208', { data: { setl_id: setlId, mdtrt_id: mdtrt, psn_no: LIU_YANG.psn_no } }));
    expect(twice.status).toBe(200);
    expect(twice.infcode).toBe(-1);
    expect(twice.err_code).toBe('already_cancelled');
  });

  it('answers refusals with HTTP 200, infcode -1 and an err_code', async () => {
    const undesignated = await post({ ...envelope('9001', { signIn: { opter_no: 'X' } }), fixmedins_code: 'H44030000004' });
    expect([undesignated.status, undesignated.infcode, undesignated.err_code]).toEqual([200, -1, 'not_designated']);
    const forged = await post(envelope('1101', { data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'A00000016', certno: '440305198512010517' } }));
    expect([forged.infcode, forged.err_code]).toEqual([-1, 'card_forged']);
    const pharmacyAtHospital = await post(envelope('2101', { druginfo: { psn_no: LIU_YANG.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: LIU_YANG.certno, medfee_sumamt: 1, insutype: '310', med_type: '41', acct_used_flag: '1' }, drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XJ01CAA040A001', det_item_fee_sumamt: 1, cnt: 1, pric: 1 }] }));
    expect([pharmacyAtHospital.infcode, pharmacyAtHospital.err_code]).toEqual([-1, 'wrong_institution_type']);
    const env = envelope('9001', { signIn: { opter_no: 'A' } });
    expect((await post(env)).infcode).toBe(0);
    const conflict = await post({ ...env, input: { signIn: { opter_no: 'B' } } });
    expect([conflict.infcode, conflict.err_code]).toEqual([-1, 'msgid_conflict']);
  });

  it('answers bad bodies with the envelope refusal, never an HTML error', async () => {
    const cases: Array<[string, string | object, Record<string, string>, string]> = [
      ['not JSON', 'this is not json', { 'content-type': 'application/json' }, 'malformed_json'],
      ['empty', '', { 'content-type': 'application/json' }, 'malformed_json'],
      ['text/plain', '{"infno":', { 'content-type': 'text/plain' }, 'malformed_json'],
      ['an array', '[1,2]', { 'content-type': 'application/json' }, 'malformed_envelope'],
      ['no input', { infno: '9001', msgid: 'M1', fixmedins_code: HOSPITAL }, { 'content-type': 'application/json' }, 'malformed_envelope'],
      ['over 1 MiB', `{"x":"${'a'.repeat(1 << 20)}"}`, { 'content-type': 'application/json' }, 'too_large'],
      ['far over 1 MiB', 'b'.repeat(5 << 20), { 'content-type': 'application/octet-stream' }, 'too_large'],
    ];
    for (const [what, body, headers, code] of cases) {
      const r = await post(body, headers);
      expect({ what, status: r.status, infcode: r.infcode, err_code: r.err_code, json: r.type.includes('application/json') }).toEqual({ what, status: 200, infcode: -1, err_code: code, json: true });
      expect(r.err_msg).toBeTruthy();
    }
    const noType = await fetch(t.url + PATH, { method: 'POST', body: JSON.stringify(envelope('9001', { signIn: { opter_no: 'N' } })) });
    expect(((await noType.json()) as { infcode: number }).infcode).toBe(0);
  });
});

describe("the page's API", () => {
  it('validates every input and answers errors with a stable err_code', async () => {
    expect(await api('POST', '/api/checkout', {})).toMatchObject({ status: 409, body: { err_code: 'not_signed_in' } });
    expect(await api('POST', '/api/signin', { opter_no: '' })).toMatchObject({ status: 400, body: { err_code: 'invalid_input' } });
    expect(await api('POST', '/api/signin', '{oops')).toMatchObject({ status: 400, body: { err_code: 'malformed_json' } });
    expect(await api('POST', '/api/signin', { opter_no: 'C9', opter_name: '收银乙', extra: 1 })).toMatchObject({ status: 400, body: { err_code: 'invalid_input' } });
    expect(await api('GET', '/api/nothing')).toMatchObject({ status: 404, body: { err_code: 'not_found' } });
    expect(await api('POST', '/api/tester/clock', { advance_s: 'soon' })).toMatchObject({ status: 400, body: { err_code: 'invalid_input' } });
    expect(await api('POST', '/api/virtual/card', { card_no: 'nope' })).toMatchObject({ status: 400, body: { err_code: 'invalid_input' } });
    expect(await api('GET', '/api/receipts/NOSUCHSETL')).toMatchObject({ status: 404, body: { err_code: 'settlement_unknown' } });
  });

  it('settles an outpatient visit (2201, 2204, 2206, 2207) by ID number, then returns one line (2208, 2205, 2204, 2207)', async () => {
    expect((await api('POST', '/api/signin', { opter_no: 'C002', opter_name: '收银乙' })).status).toBe(200);
    expect((await api('POST', '/api/checkout', {})).body.state).toBe('open');
    const who = await api('POST', '/api/checkout/identify', { method: 'id', certno: LIU_YANG.certno });
    expect(who.status).toBe(200);
    expect(who.body.patient).toMatchObject({ psn_no: LIU_YANG.psn_no, name: '刘*', certno: '4403**********071X' });
    expect((await api('POST', '/api/checkout/lines', { hilist_code: '001102000010000', pric: 20 })).status).toBe(200);
    expect((await api('POST', '/api/checkout/lines', { hilist_code: 'XJ01CAA040A001', pric: 12.5, cnt: 2 })).status).toBe(200);
    expect(await api('POST', '/api/checkout/settle', { tender: 'cash', tendered: 100 })).toMatchObject({ status: 409, body: { err_code: 'presettle_first' } });
    const pre = await api('POST', '/api/checkout/presettle', { acct_used: true });
    expect(pre.status).toBe(200);
    // 45.00 in scope, deductible reached, 0.6 at hosp_lv 2: fund 27.00, account 18.00.
    expect(pre.body.pre).toMatchObject({ medfee_sumamt: 45, fund_pay_sumamt: 27, own_acct_pay: 18, acct_mulaid_pay: 0, psn_cash_pay: 0 });
    expect(pre.body.visit.mdtrt_id).toMatch(/^440300M/);
    expect(pre.body.lines.map((l: { split: { inscp_scp_amt: number } }) => l.split.inscp_scp_amt)).toEqual([20, 25]);
    const paid = await api('POST', '/api/checkout/settle', { tender: 'bank' });
    expect(paid.status).toBe(200);
    const setlId = paid.body.setl_id as string;
    expect(query(t.db, 'SELECT tender, tendered, opter_no, psn_cash_pay FROM terminal_sales WHERE setl_id = ?', setlId)).toEqual([{ tender: 'bank', tendered: 0, opter_no: 'C002', psn_cash_pay: 0 }]);
    const receipt = await api('GET', `/api/receipts/${setlId}`);
    expect(receipt.body).toMatchObject({ medfee_sumamt: 45, fund_pay_sumamt: 27, own_acct_pay: 18, tender: 'bank', patient: '刘*' });

    const sale = query<{ lines: string }>(t.db, 'SELECT lines FROM terminal_sales WHERE setl_id = ?', setlId)[0]!;
    const first = (JSON.parse(sale.lines) as { feedetl_sn: string }[])[0]!.feedetl_sn;
    const ret = await api('POST', `/api/settlements/${setlId}/return`, { keep: [first] });
    expect(ret.status).toBe(200);
    const after = query<{ kind: string; medfee_sumamt: number; init_setl_id: string | null }>(t.db, 'SELECT kind, medfee_sumamt, init_setl_id FROM settlements WHERE setl_id IN (?, ?) ORDER BY seq', ret.body.cancel_setl_id, ret.body.setl_id);
    expect(after).toEqual([
      { kind: 'cancel', medfee_sumamt: -4500, init_setl_id: setlId },
      { kind: 'settle', medfee_sumamt: 2000, init_setl_id: null },
    ]);
    expect(await api('POST', `/api/settlements/${setlId}/cancel`)).toMatchObject({ status: 409, body: { err_code: 'already_cancelled' } });

    const day = await api('GET', '/api/day');
    const group = day.body.groups.find((g: { insutype: string; clr_type: string }) => g.insutype === '310' && g.clr_type === '11');
    expect(group).toMatchObject({ count: 3, medfee_sumamt: 20 });
    // 3201 with the terminal's own records: the platform also holds the two records hospital software
    // made through the HTTP interface above, so the counts differ and it says so.
    const check = await api('POST', '/api/day/check');
    expect(check.body).toEqual([{ insutype: '310', clr_type: '11', stmt_rslt: '1', stmt_rslt_dscr: expect.stringContaining('fixmedins_setl_cnt: yours 3, medpos 5') }]);
    expect(day.body.records.filter((r: { source: string }) => r.source !== 'FEE01')).toHaveLength(2);
  });

  it('drops a scan made while no checkout waits: it never lands in the next checkout', async () => {
    // The last checkout is settled: nobody waits for a scan.
    expect((await api('POST', '/api/virtual/scan', { text: '6920318002128' })).body).toEqual({ via: 'direct' });
    const fresh = await api('POST', '/api/checkout', {});
    expect(fresh.body.lines).toEqual([]);
    // A scan now lands in this checkout; an unknown one is shown and not acted on.
    await api('POST', '/api/virtual/scan', { text: '%%garbage%%' });
    await api('POST', '/api/virtual/scan', { text: '6920318002128' });
    let view = (await api('GET', '/api/checkout')).body;
    for (let i = 0; i < 50 && view.lines.length === 0; i++) view = (await api('GET', '/api/checkout')).body; // scans are handled in order, off the request
    expect(view.lines.map((l: { hilist_code: string }) => l.hilist_code)).toEqual(['XC08CAN010A001']);
    expect((await api('POST', '/api/checkout/void', {})).body.state).toBe('void');
  });
});

