import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'medpos-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = '2026-11-20T10:00:00+08:00';

function medpos(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, ['bin/medpos.js', ...args], {
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, MEDPOS_NOW: NOW, MEDPOS_DB: '', ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function call(db: string, infno: string, input: unknown) {
  const r = medpos(['call', infno, '--db', db], { input: JSON.stringify(input) });
  expect(r.stdout.trim().split('\n')).toHaveLength(1); // standard output holds one envelope only
  return { ...r, env: JSON.parse(r.stdout) as { infcode: number; err_code?: string; err_msg?: string; output: any } };
}

describe('medpos CLI end to end on a database file', () => {
  it('reproduces worked example H through the hospital chain', () => {
    const db = join(dir, 'h.db');
    const init = medpos(['init', '--db', db, '--world', 'fixtures/worlds/example-h']);
    expect(init.code).toBe(0);
    const psn = '44030000000000000001';
    const cert = { mdtrt_cert_type: '03', mdtrt_cert_no: 'A00000001' };
    const reg = call(db, '2201', { data: { psn_no: psn, insutype: '310', ...cert, ipt_otp_no: 'OP-1' } });
    expect(reg.code).toBe(0);
    const mdtrt_id = reg.env.output.data.mdtrt_id;
    expect(call(db, '2203', { mdtrtinfo: { mdtrt_id, psn_no: psn, med_type: '11', dise_codg: 'I10', dise_name: '高血压' } }).code).toBe(0);
    const lines = [
      ['XC08CAN010A001', 45, 2], ['XC10AAA050A001', 120, 1], ['C1402060580001', 80, 1], ['NOTLISTED0001', 50, 1], ['002101020010000', 60, 1],
    ] as const;
    const fee = call(db, '2204', {
      feedetail: lines.map(([code, pric, cnt], i) => ({ feedetl_sn: String(i + 1), mdtrt_id, psn_no: psn, med_list_codg: code, pric, cnt, det_item_fee_sumamt: pric * cnt })),
    });
    expect(fee.env.output.result.map((r: any) => r.inscp_scp_amt)).toEqual([90, 108, 48, 0, 60]);
    const setl = { data: { psn_no: psn, ...cert, med_type: '11', medfee_sumamt: 400, psn_setlway: '01', mdtrt_id, chrg_bchno: '0000', acct_used_flag: '1', insutype: '310' } };
    const pre = call(db, '2206', setl);
    const done = call(db, '2207', setl);
    expect(done.code).toBe(0);
    const expected = { medfee_sumamt: 400, fulamt_ownpay_amt: 50, overlmt_selfpay: 20, preselfpay_amt: 24, inscp_scp_amt: 306, act_pay_dedc: 100, hifp_pay: 103, fund_pay_sumamt: 103, psn_part_amt: 297, acct_pay: 180, psn_cash_pay: 117, balc: 0 };
    expect(pre.env.output.setlinfo).toMatchObject(expected);
    expect(done.env.output.setlinfo).toMatchObject(expected);
    expect(done.stdout).toContain('张伟'); // UTF-8, not escaped
    const retry = medpos(['call', '2207', '--db', db], { input: JSON.stringify(setl) });
    expect(JSON.parse(retry.stdout)).toMatchObject({ infcode: -1, err_code: 'no_fee_lines' });
    expect(retry.code).toBe(1);

    // init refuses to replace settlements unless --reset
    const again = medpos(['init', '--db', db, '--world', 'fixtures/worlds/example-h']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/--reset/);
    expect(medpos(['init', '--db', db, '--world', 'fixtures/worlds/example-h', '--reset']).code).toBe(0);
  });

  it('reproduces worked example P through the pharmacy chain', () => {
    const db = join(dir, 'p.db');
    expect(medpos(['init', '--db', db, '--world', 'fixtures/worlds/example-p']).code).toBe(0);
    const catalog = JSON.parse(readFileSync('fixtures/worlds/example-p/catalog.json', 'utf8')) as { hilist_code: string; chrgitm_lv: string }[];
    const code = (lv: string) => catalog.find((i) => i.chrgitm_lv === lv)!.hilist_code;
    const person = JSON.parse(readFileSync('fixtures/worlds/example-p/persons.json', 'utf8'))[0].baseinfo;
    const druginfo = { psn_no: person.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: person.certno, insutype: '310', med_type: '41', medfee_sumamt: 86.5, acct_used_flag: '1' };
    const drugdetail = [
      { feedetl_sn: '1', med_list_codg: code('01'), pric: 36.5, cnt: 1, det_item_fee_sumamt: 36.5 },
      { feedetl_sn: '2', med_list_codg: code('02'), pric: 30, cnt: 1, det_item_fee_sumamt: 30 },
      { feedetl_sn: '3', med_list_codg: code('03'), pric: 20, cnt: 1, det_item_fee_sumamt: 20 },
    ];
    const done = call(db, '2102', { druginfo, drugdetail });
    expect(done.env.output.setlinfo).toMatchObject({ medfee_sumamt: 86.5, fulamt_ownpay_amt: 20, inscp_scp_amt: 63.5, hifp_pay: 0, psn_part_amt: 86.5, acct_pay: 66.5, balc: 433.5, psn_cash_pay: 20 });
    const { setl_id, mdtrt_id } = done.env.output.setlinfo;
    const cancel = call(db, '2103', { data: { setl_id, mdtrt_id, psn_no: person.psn_no } });
    expect(cancel.env.output.setlinfo).toMatchObject({ init_setl_id: setl_id, medfee_sumamt: -86.5, acct_pay: -66.5, balc: 500, refd_setl_flag: '1' });
    expect(call(db, '2103', { data: { setl_id, mdtrt_id, psn_no: person.psn_no } }).env).toMatchObject({ infcode: -1, err_code: 'already_cancelled' });

    const intact = medpos(['audit', 'verify', '--db', db]);
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toEqual({ ok: true, records: 2 });
    const raw = new Database(db);
    raw.prepare('UPDATE settlements SET medfee_sumamt = 8660, psn_cash_pay = 2010 WHERE setl_id = ?').run(setl_id);
    raw.close();
    const broken = medpos(['audit', 'verify', '--db', db]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(setl_id);
  });

  it('exits 0, 1 and 2 as documented, and never prints a stack trace', () => {
    const db = join(dir, 'codes.db');
    expect(medpos(['init', '--db', db, '--world', 'fixtures/worlds/demo']).code).toBe(0);
    const bad = medpos(['call', '2101', '--db', db], { input: '{"druginfo": ' });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ infcode: -1, err_code: 'malformed_json' });
    expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /);
    expect(medpos(['call', 'nope', '--db', db]).code).toBe(2);
    expect(medpos(['call', '1101', '--db', join(dir, 'missing.db')], { input: '{}' }).code).toBe(2);
    expect(medpos(['frobnicate']).code).toBe(2);
    const viaEnv = medpos(['call', '1101'], { input: JSON.stringify({ data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'A00000013' } }), env: { MEDPOS_DB: db } });
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ infcode: -1, err_code: 'card_lost' });
    const file = join(dir, 'in.json');
    writeFileSync(file, JSON.stringify({ data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'A00000002' } }));
    const ok = medpos(['call', '1101', '--db', db, '--input', file]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).output.baseinfo.psn_name).toBe('李建国');
  });

  it('world check lists every problem with file, index and field', () => {
    const world = join(dir, 'broken');
    cpSync('fixtures/worlds/demo', world, { recursive: true });
    const persons = JSON.parse(readFileSync(join(world, 'persons.json'), 'utf8'));
    persons[2].insuinfo[0].balc = 1.234;
    persons[4].baseinfo.nickname = 'typo';
    writeFileSync(join(world, 'persons.json'), JSON.stringify(persons));
    const cards = JSON.parse(readFileSync(join(world, 'cards.json'), 'utf8'));
    cards[1].status = 'stolen';
    writeFileSync(join(world, 'cards.json'), JSON.stringify(cards));
    const r = medpos(['world', 'check', world]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/persons\.json\[2\]\.insuinfo\[0\]\.balc: .*two decimals/);
    expect(r.stdout).toMatch(/persons\.json\[4\]\.baseinfo.*nickname/);
    expect(r.stdout).toMatch(/cards\.json\[1\]\.status/);
    expect(medpos(['world', 'check', 'fixtures/worlds/demo']).code).toBe(0);
    const init = medpos(['init', '--db', join(dir, 'broken.db'), '--world', world]);
    expect(init.code).toBe(1);
    expect(init.stderr).toMatch(/cards\.json\[1\]\.status/);
  });

  it('replays the shipped scenarios green, and shows a wrong expectation readably', () => {
    const green = medpos(['replay', 'fixtures/scenarios']);
    const summary = /^(\d+) passed, 0 failed$/m.exec(green.stdout);
    expect(summary, green.stdout).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThan(50);
    expect(green.code).toBe(0);
    const scenario = {
      format: 'medpos-scenario/1',
      name: 'wrong on purpose',
      world: join(process.cwd(), 'fixtures/worlds/example-p'),
      now: NOW,
      steps: [{ call: '1101', input: { data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'A00000001' } }, expect: { infcode: 0, 'output.insuinfo.0.balc': 499.99 } }],
    };
    const file = join(dir, 'wrong.json');
    writeFileSync(file, JSON.stringify(scenario));
    const red = medpos(['replay', file]);
    expect(red.code).toBe(1);
    expect(red.stdout).toContain('FAIL wrong on purpose step 1 [1101]: output.insuinfo.0.balc: expected 499.99, got 500');
    expect(red.stdout).toMatch(/^0 passed, 1 failed$/m);
  });
});
