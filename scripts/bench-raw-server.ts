/**
 * The baseline of bench (g): a bare fastify handler that writes, with raw `pg`, the rows one medpos
 * 2102 settlement writes (the template rows in argv[3], copied from a real one), in one transaction on
 * one pooled connection, after the same msgid lookup and the same row lock on the account. No
 * validation, no rules, no envelope: what the HTTP stack and PostgreSQL cost by themselves.
 * `tsx scripts/bench-raw-server.ts URL TEMPLATE.json POOL`; prints its URL.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import pg from 'pg';

type Row = Record<string, unknown>;
const [url, templateFile, poolSize] = process.argv.slice(2) as [string, string, string];
const t = JSON.parse(readFileSync(templateFile, 'utf8')) as { visit: Row; line: Row; settlement: Row; debit: Row; message: Row };
const pool = new pg.Pool({ connectionString: url, max: Number(poolSize) });
pool.on('error', () => undefined);

function insert(table: string, row: Row, returning = '') {
  const cols = Object.keys(row);
  return { text: `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, k) => `$${k + 1}`).join(', ')})${returning}`, cols };
}
const omit = (row: Row, ...keys: string[]) => Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k)));
const visit = insert('visits', t.visit);
const line = insert('fee_lines', omit(t.line, 'id'), ' RETURNING id');
const settlement = insert('settlements', omit(t.settlement, 'seq', 'hash', 'prev_hash'));
const debit = insert('settlement_debits', omit(t.debit, 'id'));
const message = insert('messages', t.message);
const values = (q: { cols: string[] }, row: Row) => q.cols.map((c) => row[c]);

const app = Fastify({ logger: false });
let n = 0;
app.post('/settle', async (req) => {
  const { msgid, psn_no } = req.body as { msgid: string; psn_no: string };
  const k = `${process.pid}-${++n}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const stored = await client.query('SELECT response FROM messages WHERE msgid = $1', [msgid]);
    if (stored.rows.length) {
      await client.query('ROLLBACK');
      return stored.rows[0].response;
    }
    await client.query('SELECT balc FROM accounts WHERE psn_no = $1 FOR UPDATE', [psn_no]);
    const mdtrt_id = `RM${k}`;
    const setl_id = `RS${k}`;
    await client.query({ name: 'v', text: visit.text, values: values(visit, { ...t.visit, mdtrt_id, psn_no, msgid }) });
    const id = (await client.query({ name: 'l', text: line.text, values: values(line, { ...t.line, mdtrt_id, msgid }) })).rows[0].id;
    await client.query({ name: 's', text: settlement.text, values: values(settlement, { ...t.settlement, setl_id, mdtrt_id, psn_no, msgid }) });
    await client.query({ name: 'd', text: debit.text, values: values(debit, { ...t.debit, setl_id, psn_no }) });
    await client.query('UPDATE accounts SET balc = balc - $1 WHERE psn_no = $2', [t.debit.amount, psn_no]);
    await client.query('INSERT INTO settlement_lines (setl_id, fee_line_id) VALUES ($1, $2)', [setl_id, id]);
    const response = JSON.stringify({ infcode: 0, output: { setlinfo: { setl_id } } });
    await client.query({ name: 'm', text: message.text, values: values(message, { ...t.message, msgid, response }) });
    await client.query('COMMIT');
    return response;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
});
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address() as { port: number };
process.stdout.write(`http://127.0.0.1:${addr.port}/settle\n`);
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
