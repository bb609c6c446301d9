/**
 * The terminal's own records (the till), kept in a SQLite file of the terminal's, in tables of its
 * own (terminal_*): by default the ledger's file when the ledger is SQLite, so that one file holds
 * a pharmacy's whole day; a terminal whose ledger is elsewhere (PostgreSQL) names a file of its own.
 * The records: how each settlement's cash part was taken (tender), by which cashier at which
 * terminal, the sale lines as the cashier saw them (trace codes included), and the last price
 * used for each item. The platform's tables are never written here: a row is added after the
 * platform answered a settlement or a cancellation, keyed by its setl_id.
 */
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Fen } from '../core/money.ts';
import { SqliteLedger } from '../ledger/sqlite.ts';
import type { LedgerStore } from '../ledger/types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS terminal_sales (
  setl_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('settle', 'cancel')),
  init_setl_id TEXT,
  fixmedins_code TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  opter_no TEXT NOT NULL,
  opter_name TEXT NOT NULL,
  sign_no TEXT,
  mdtrt_id TEXT NOT NULL,
  psn_no TEXT NOT NULL,
  insutype TEXT NOT NULL,
  clr_type TEXT NOT NULL,
  setl_date TEXT NOT NULL,
  setl_time TEXT NOT NULL,
  medfee_sumamt INTEGER NOT NULL,
  fund_pay_sumamt INTEGER NOT NULL,
  acct_pay INTEGER NOT NULL,
  acct_mulaid_pay INTEGER NOT NULL,
  psn_cash_pay INTEGER NOT NULL,
  tender TEXT NOT NULL CHECK (tender IN ('cash', 'bank', 'mobile')),
  tendered INTEGER NOT NULL,
  change_amt INTEGER NOT NULL,
  cert TEXT NOT NULL,
  lines TEXT NOT NULL,
  printed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS terminal_sales_day ON terminal_sales (fixmedins_code, setl_date);
CREATE TABLE IF NOT EXISTS terminal_prices (
  fixmedins_code TEXT NOT NULL, hilist_code TEXT NOT NULL, pric INTEGER NOT NULL,
  PRIMARY KEY (fixmedins_code, hilist_code)
);
-- a platform request sent and not yet answered (a settlement, a cancellation): resent with its msgid
CREATE TABLE IF NOT EXISTS terminal_pending (
  purpose TEXT PRIMARY KEY,
  msgid TEXT NOT NULL,
  envelope TEXT NOT NULL,
  draft TEXT,
  created TEXT NOT NULL
);
-- the platform's setlinfo of each settlement the terminal made, for its receipt
CREATE TABLE IF NOT EXISTS terminal_setlinfo (setl_id TEXT PRIMARY KEY, setlinfo TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terminal_seq (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

export type Tender = 'cash' | 'bank' | 'mobile';

/** What the terminal presented: kept so that a partial return can settle the kept lines again. */
export interface CertRecord {
  mdtrt_cert_type: '01' | '02' | '03';
  mdtrt_cert_no: string;
  card_sn?: string | undefined;
}

export interface SaleLineRecord {
  feedetl_sn: string;
  hilist_code: string;
  name: string;
  chrgitm_lv: string | null;
  /** Price in fen. */
  pric: Fen;
  /** Count x 10 000. */
  cnt_e4: number;
  amount: Fen;
  hosp_appr_flag: string;
  trace_code: string | null;
}

export interface SaleRecord {
  setl_id: string;
  kind: 'settle' | 'cancel';
  init_setl_id: string | null;
  fixmedins_code: string;
  terminal_id: string;
  opter_no: string;
  opter_name: string;
  sign_no: string | null;
  mdtrt_id: string;
  psn_no: string;
  insutype: string;
  clr_type: string;
  setl_date: string;
  setl_time: string;
  medfee_sumamt: Fen;
  fund_pay_sumamt: Fen;
  acct_pay: Fen;
  acct_mulaid_pay: Fen;
  psn_cash_pay: Fen;
  tender: Tender;
  tendered: Fen;
  change_amt: Fen;
  cert: CertRecord;
  lines: SaleLineRecord[];
}

/** What the till knows of a sale before the platform answers: the rest comes from the setlinfo. */
export type SaleDraft = Omit<SaleRecord, 'setl_id' | 'setl_date' | 'setl_time' | 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay' | 'acct_mulaid_pay' | 'psn_cash_pay' | 'mdtrt_id' | 'clr_type' | 'tendered' | 'change_amt'> & {
  /** Known before (a cancellation's), or the settlement's. */
  mdtrt_id: string | null;
  clr_type: string | null;
  /** Cash tendered; null: the cash part exactly (bank, mobile, a refund). */
  tendered: Fen | null;
};

export interface Pending {
  purpose: string;
  msgid: string;
  envelope: unknown;
  draft: SaleDraft | null;
}
type PendingRow = { purpose: string; msgid: string; envelope: string; draft: string | null };
const decodePending = (r: PendingRow): Pending => ({ purpose: r.purpose, msgid: r.msgid, envelope: JSON.parse(r.envelope) as unknown, draft: r.draft ? (JSON.parse(r.draft) as SaleDraft) : null });

type Row = Omit<SaleRecord, 'cert' | 'lines'> & { cert: string; lines: string; printed: number };

/** Runs a write of the till; sharing the ledger's SQLite connection, it waits for the ledger's transaction in progress. */
type WriteGate = <T>(fn: () => T) => Promise<T>;

/** The till at `path`: the ledger's own connection when it is the ledger's SQLite file, else a connection of its own. */
export function openTill(path: string, ledger: LedgerStore | null): TerminalStore {
  if (ledger instanceof SqliteLedger && ledger.location !== ':memory:' && resolve(ledger.location) === resolve(path)) {
    // one connection: a second one would wait, blocking the one thread, for a write lock the ledger holds across an await
    return new TerminalStore(ledger.db, (fn) => ledger.exclusive(fn), false);
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 30000');
  return new TerminalStore(db, async (fn) => fn(), true);
}

export class TerminalStore {
  constructor(
    private readonly db: Database.Database,
    private readonly write: WriteGate,
    private readonly ownsDb: boolean,
  ) {
    db.exec(SCHEMA);
  }

  close(): void {
    if (this.ownsDb && this.db.open) this.db.close();
  }

  /**
   * A sale (or cancellation) the platform answered: its record, the setlinfo its receipt shows, and
   * the end of its pending request, in one till transaction: a crash leaves all three or none.
   */
  addSale(r: SaleRecord, setlinfo?: unknown, pendingPurpose?: string): Promise<void> {
    return this.write(() => {
      this.db.transaction(() => {
        this.db
          .prepare(
            `INSERT INTO terminal_sales (setl_id, kind, init_setl_id, fixmedins_code, terminal_id, opter_no, opter_name, sign_no, mdtrt_id,
               psn_no, insutype, clr_type, setl_date, setl_time, medfee_sumamt, fund_pay_sumamt, acct_pay, acct_mulaid_pay, psn_cash_pay,
               tender, tendered, change_amt, cert, lines)
             VALUES (@setl_id, @kind, @init_setl_id, @fixmedins_code, @terminal_id, @opter_no, @opter_name, @sign_no, @mdtrt_id,
               @psn_no, @insutype, @clr_type, @setl_date, @setl_time, @medfee_sumamt, @fund_pay_sumamt, @acct_pay, @acct_mulaid_pay, @psn_cash_pay,
               @tender, @tendered, @change_amt, @cert, @lines)`,
          )
          .run({ ...r, cert: JSON.stringify(r.cert), lines: JSON.stringify(r.lines) });
        if (setlinfo !== undefined) this.db.prepare('INSERT OR REPLACE INTO terminal_setlinfo (setl_id, setlinfo) VALUES (?, ?)').run(r.setl_id, JSON.stringify(setlinfo));
        if (pendingPurpose) this.db.prepare('DELETE FROM terminal_pending WHERE purpose = ?').run(pendingPurpose);
      })();
    });
  }

  /** Keeps a request before it is sent: when its answer never comes, the same msgid is sent again. */
  holdPending(purpose: string, msgid: string, envelope: unknown, draft: SaleDraft | null): Promise<void> {
    return this.write(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO terminal_pending (purpose, msgid, envelope, draft, created) VALUES (?, ?, ?, ?, ?)')
        .run(purpose, msgid, JSON.stringify(envelope), draft ? JSON.stringify(draft) : null, new Date().toISOString());
    });
  }

  pending(purpose: string): Pending | undefined {
    const row = this.db.prepare('SELECT purpose, msgid, envelope, draft FROM terminal_pending WHERE purpose = ?').get(purpose) as PendingRow | undefined;
    return row ? decodePending(row) : undefined;
  }

  /** Every request still pending, oldest first (left by a terminal that stopped before its answer came). */
  allPending(): Pending[] {
    return (this.db.prepare('SELECT purpose, msgid, envelope, draft FROM terminal_pending ORDER BY created').all() as PendingRow[]).map(decodePending);
  }

  /** The platform answered (settled or refused): nothing is left to resend. */
  clearPending(purpose: string): Promise<void> {
    return this.write(() => {
      this.db.prepare('DELETE FROM terminal_pending WHERE purpose = ?').run(purpose);
    });
  }

  /** The next number of a till sequence (outpatient numbers, return batches). */
  nextSeq(name: string): Promise<number> {
    return this.write(() => {
      this.db.prepare('INSERT INTO terminal_seq (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1').run(name);
      return (this.db.prepare('SELECT value FROM terminal_seq WHERE name = ?').get(name) as { value: number }).value;
    });
  }

  setlinfo(setlId: string): Record<string, unknown> | undefined {
    const row = this.db.prepare('SELECT setlinfo FROM terminal_setlinfo WHERE setl_id = ?').get(setlId) as { setlinfo: string } | undefined;
    return row ? (JSON.parse(row.setlinfo) as Record<string, unknown>) : undefined;
  }

  /** The till's cancellation of a settlement, if any. */
  cancellationOf(setlId: string): SaleRecord | undefined {
    const row = this.db.prepare("SELECT * FROM terminal_sales WHERE kind = 'cancel' AND init_setl_id = ?").get(setlId) as Row | undefined;
    return row ? decode(row) : undefined;
  }

  sale(setlId: string): (SaleRecord & { printed: number }) | undefined {
    const row = this.db.prepare('SELECT * FROM terminal_sales WHERE setl_id = ?').get(setlId) as Row | undefined;
    return row ? decode(row) : undefined;
  }

  /** The terminal's records of an institution's day, in order. */
  day(fixmedinsCode: string, date: string): SaleRecord[] {
    return (this.db.prepare('SELECT * FROM terminal_sales WHERE fixmedins_code = ? AND setl_date = ? ORDER BY rowid').all(fixmedinsCode, date) as Row[]).map(decode);
  }

  markPrinted(setlId: string): Promise<number> {
    return this.write(() => {
      this.db.prepare('UPDATE terminal_sales SET printed = printed + 1 WHERE setl_id = ?').run(setlId);
      return (this.db.prepare('SELECT printed FROM terminal_sales WHERE setl_id = ?').get(setlId) as { printed: number } | undefined)?.printed ?? 0;
    });
  }

  price(fixmedinsCode: string, hilistCode: string): Fen | null {
    const row = this.db.prepare('SELECT pric FROM terminal_prices WHERE fixmedins_code = ? AND hilist_code = ?').get(fixmedinsCode, hilistCode) as { pric: number } | undefined;
    return row ? row.pric : null;
  }

  /** The last price used for each item, for the next sale. */
  rememberPrices(fixmedinsCode: string, lines: { hilist_code: string; pric: Fen }[]): Promise<void> {
    return this.write(() => {
      const st = this.db.prepare(
        'INSERT INTO terminal_prices (fixmedins_code, hilist_code, pric) VALUES (?, ?, ?) ON CONFLICT (fixmedins_code, hilist_code) DO UPDATE SET pric = excluded.pric',
      );
      for (const l of lines) st.run(fixmedinsCode, l.hilist_code, l.pric);
    });
  }
}

function decode(row: Row): SaleRecord & { printed: number } {
  return { ...row, cert: JSON.parse(row.cert) as CertRecord, lines: JSON.parse(row.lines) as SaleLineRecord[] };
}
