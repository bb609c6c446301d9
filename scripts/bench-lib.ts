/** What the benchmark shares: a ledger with the demo world, and a stream of distinct sales. */
import { FixedClock, localDate } from '../src/core/clock.ts';
import { parseWorld, readWorldFiles } from '../src/core/world.ts';
import { SqliteLedger } from '../src/ledger/sqlite.ts';
import { createPlatform } from '../src/app.ts';
import { newPlatformKey } from '../src/platform/ecert.ts';

export type Figures = Record<string, any>;

/** The bench's patient (an employee in the demo world, with family mutual aid). */
export const BENCH_PATIENT = '44030000000000000002';

export async function freshLedger(path: string) {
  const clock = new FixedClock('2026-11-20T10:00:00+08:00');
  const ledger = new SqliteLedger(path);
  const raw = readWorldFiles('fixtures/worlds/demo');
  // a balance that never runs dry, so that every settlement debits the account and writes the same rows
  const persons = raw['persons.json'] as { baseinfo: { psn_no: string }; insuinfo: { insutype: string; balc?: number }[] }[];
  for (const ins of persons.find((p) => p.baseinfo.psn_no === BENCH_PATIENT)!.insuinfo) if (ins.insutype === '310') ins.balc = 90_000_000;
  await ledger.loadWorld(raw, parseWorld(raw), Number(localDate(clock).slice(0, 4)), newPlatformKey());
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
      druginfo: { psn_no: BENCH_PATIENT, mdtrt_cert_type: '02', mdtrt_cert_no: '440303198203140171', insutype: '310', med_type: '41', medfee_sumamt: pric, acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: '1', med_list_codg: 'XC08CAN010A001', pric, cnt: 1, det_item_fee_sumamt: pric }],
    },
  };
}

/** The rows one settlement writes, copied from a real one, so the baseline writes the same contents. */
export function captureRows(ledger: SqliteLedger) {
  const one = <T>(sql: string) => ledger.db.prepare(sql).get() as T;
  return {
    visit: one<Record<string, unknown>>('SELECT * FROM visits ORDER BY rowid DESC LIMIT 1'),
    line: one<Record<string, unknown>>('SELECT * FROM fee_lines ORDER BY id DESC LIMIT 1'),
    settlement: one<Record<string, unknown>>('SELECT * FROM settlements ORDER BY seq DESC LIMIT 1'),
    debit: one<Record<string, unknown>>('SELECT * FROM settlement_debits ORDER BY rowid DESC LIMIT 1'),
    message: one<Record<string, unknown>>('SELECT * FROM messages ORDER BY rowid DESC LIMIT 1'),
  };
}

/** Raw prepared statements writing what the platform writes for one 2102. */
export function rawWriter(ledger: SqliteLedger, rows: ReturnType<typeof captureRows>) {
  const db = ledger.db;
  const cols = (o: Record<string, unknown>) => Object.keys(o);
  const insert = (table: string, o: Record<string, unknown>) =>
    db.prepare(`INSERT INTO ${table} (${cols(o).join(', ')}) VALUES (${cols(o).map((c) => '@' + c).join(', ')})`);
  const { seq: _seq, ...settlement } = rows.settlement;
  const { id: _id, ...line } = rows.line;
  const s = {
    seqs: db.prepare('INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value'),
    visit: insert('visits', rows.visit),
    line: insert('fee_lines', line),
    settlement: insert('settlements', settlement),
    debit: insert('settlement_debits', rows.debit),
    account: db.prepare('UPDATE accounts SET balc = balc - ? WHERE psn_no = ?'),
    lineLink: db.prepare('INSERT INTO settlement_lines (setl_id, fee_line_id) VALUES (?, ?)'),
    head: db.prepare("INSERT INTO meta (key, value) VALUES ('chain_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    message: insert('messages', rows.message),
  };
  let n = 0;
  return db
    .transaction(() => {
      n++;
      const mdtrtId = like(rows.visit.mdtrt_id, n);
      const setlId = like(settlement.setl_id, n);
      const msgid = like(rows.message.msgid, n);
      for (const name of ['M', 'S', 'refmsg']) s.seqs.get(name);
      s.visit.run({ ...rows.visit, mdtrt_id: mdtrtId });
      const lineId = s.line.run({ ...line, mdtrt_id: mdtrtId }).lastInsertRowid;
      s.settlement.run({ ...settlement, setl_id: setlId, mdtrt_id: mdtrtId, msgid });
      s.debit.run({ ...rows.debit, setl_id: setlId, amount: 1 });
      s.account.run(1, rows.debit.psn_no);
      s.lineLink.run(setlId, lineId);
      s.head.run(String(settlement.hash).slice(0, 56) + n.toString(16).padStart(8, '0')); // a new head each time, as medpos writes
      s.message.run({ ...rows.message, msgid });
    })
    .immediate.bind(null);
}

/** An id shaped like `id` (same prefix, same length of serial number), numbered n: keys as long as medpos's. */
function like(id: unknown, n: number): string {
  const s = String(id);
  const serial = /\d*$/.exec(s)![0];
  return s.slice(0, s.length - serial.length) + String(n).padStart(serial.length, '0');
}
