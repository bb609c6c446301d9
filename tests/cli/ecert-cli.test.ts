import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'medpos-ecert-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, MEDPOS_NOW: '2026-11-20T10:00:00+08:00' };
const zbar = spawnSync('zbarimg', ['--version'], { stdio: 'ignore' }).status === 0;
if (!zbar) console.warn(`zbarimg is not installed: the QR image is not decoded${process.env.MEDPOS_HW === 'required' ? ' (MEDPOS_HW=required: failing)' : ''}`);

function medpos(args: string[], input = '') {
  return spawnSync(process.execPath, ['bin/medpos.js', ...args], { encoding: 'utf8', env, input });
}

describe('medpos ecert issue and ec.query from the command line', () => {
  it('issues a code whose QR image decodes to exactly the printed code, and that ec.query accepts once', () => {
    const db = join(dir, 'e.db');
    expect(medpos(['init', '--db', db, '--world', 'fixtures/worlds/demo']).status).toBe(0);
    const png = join(dir, 'code.png');
    const issued = medpos(['ecert', 'issue', '--db', db, '--psn', '44030000000000000005', '--png', png]);
    expect(issued.status).toBe(0);
    const code = issued.stdout.trim().split('\n').at(-1)!;
    expect(code).toMatch(/^MPEC1\./);
    if (zbar || process.env.MEDPOS_HW === 'required') {
      const decoded = spawnSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' });
      expect(decoded.status).toBe(0);
      expect(decoded.stdout.trim()).toBe(code);
    }
    const query = JSON.stringify({ data: { orgId: 'P44030000001', businessType: '02121', ecQrCode: code } });
    const first = medpos(['call', 'ec.query', '--db', db, '--fixmedins-code', 'P44030000001'], query);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout).output.data).toMatchObject({ idNo: '440305198807300554', userName: '陈喆' });
    const second = medpos(['call', 'ec.query', '--db', db, '--fixmedins-code', 'P44030000001'], query);
    expect(second.status).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({ infcode: -1, err_code: 'ecert_used' });
    expect(medpos(['ecert', 'issue', '--db', db, '--psn', 'nobody']).status).toBe(1);
  });
});
