/**
 * The terminal's till in a file of its own (`--till`), and cashier operations that arrive at once:
 * a double-clicked "settle" settles once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, query, startTerminal, type TerminalChild } from './helpers.ts';

const LIU_YANG = { psn_no: '44030000000000000006', certno: '44030619900218071X' };
const dir = mkdtempSync(join(tmpdir(), 'medpos-till-'));
const till = join(dir, 'till.db');
let t: TerminalChild;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(t.url + path.slice(1), { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  t = await startTerminal(['--till', till]);
}, 30_000);
afterAll(async () => {
  await t?.stop();
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('a terminal with its till in a file of its own', () => {
  it('keeps the sale in the till file, the settlement in the ledger, and settles a double click once', async () => {
    expect((await api('POST', '/api/signin', { opter_no: 'C001', opter_name: '收银甲' })).status).toBe(200);
    expect((await api('POST', '/api/checkout', {})).status).toBe(200);
    expect((await api('POST', '/api/checkout/identify', { method: 'id', certno: LIU_YANG.certno })).status).toBe(200);
    expect((await api('POST', '/api/checkout/lines', { hilist_code: 'XC08CAN010A001', pric: 30 })).status).toBe(200);
    expect((await api('POST', '/api/checkout/presettle', { acct_used: true })).status).toBe(200);
    const [a, b] = await Promise.all([api('POST', '/api/checkout/settle', { tender: 'bank' }), api('POST', '/api/checkout/settle', { tender: 'bank' })]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const setlId = (a.status === 200 ? a : b).body.setl_id as string;
    expect(query(t.db, 'SELECT count(*) AS n FROM settlements')).toEqual([{ n: 1 }]);
    expect(query(till, 'SELECT setl_id, tender FROM terminal_sales')).toEqual([{ setl_id: setlId, tender: 'bank' }]);
    expect(query(t.db, "SELECT name FROM sqlite_schema WHERE name LIKE 'terminal_%'")).toEqual([]);
    const receipt = await api('GET', `/api/receipts/${setlId}`);
    expect(receipt.body).toMatchObject({ setl_id: setlId, tender: 'bank', medfee_sumamt: 30 });
  });
});
