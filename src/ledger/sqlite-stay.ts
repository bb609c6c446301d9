/**
 * The SQLite ledger's methods for hospital stays, stored fee-line splits, setldetail rows, the
 * further counters and chronic-disease filings (the LedgerTx methods types.ts lists after the
 * outpatient ones). SqliteTx extends this with the rest.
 */
import type Database from 'better-sqlite3';
import { YEAR_COUNTERS, zeroCounters, type ChronicCounters, type YearCounters } from '../core/counters.ts';
import { YEAR_DELTA_COLUMNS, type FilingRow, type SettlementFund, type SettlementRecord, type StayFields, type StayLineRow, type StayLineSums, type VisitLines, type VisitPatch } from './records.ts';
import { coveredLines, FILING_COLUMNS, PATCH_COLUMNS, STAY_LINE_COLUMNS, STAY_SUMS, UNSETTLED_OF, VISIT_SETTLEMENTS } from './stay-sql.ts';
import type { NewStayLine, VisitRow } from './types.ts';

const named = (sql: string) => sql.replaceAll('$visit', '@visit');

export abstract class SqliteStayTx {
  protected abstract stmt(sql: string): Database.Statement;

  async yearCounters(psnNo: string, insutype: string, year: number): Promise<YearCounters> {
    const row = this.stmt(`SELECT ${YEAR_COUNTERS.join(', ')} FROM counters WHERE psn_no = ? AND insutype = ? AND year = ?`).get(psnNo, insutype, year) as YearCounters | undefined;
    return row ? { ...row } : zeroCounters();
  }

  async chronicCounters(psnNo: string, insutype: string, year: number, code: string): Promise<ChronicCounters> {
    const row = this.stmt('SELECT dedc_used, fund_used FROM chronic_counters WHERE psn_no = ? AND insutype = ? AND year = ? AND opsp_dise_code = ?').get(psnNo, insutype, year, code) as
      | ChronicCounters
      | undefined;
    return row ? { ...row } : { dedc_used: 0, fund_used: 0 };
  }

  /** Moves the year's and the chronic disease's counters by a stored record's deltas. */
  protected applyDeltas(rec: SettlementRecord & StayFields): void {
    const key = { psn_no: rec.psn_no, insutype: rec.insutype, year: rec.year };
    if (YEAR_DELTA_COLUMNS.some(([d]) => rec[d] !== 0)) {
      const params = { ...key, ...Object.fromEntries(YEAR_DELTA_COLUMNS.map(([d]) => [d, rec[d]])) };
      // UPDATE first: SQLite checks an upsert's CHECK constraints on the would-be new row, which a negative delta fails.
      const moved = this
        .stmt(`UPDATE counters SET ${YEAR_DELTA_COLUMNS.map(([d, c]) => `${c} = ${c} + @${d}`).join(', ')} WHERE psn_no = @psn_no AND insutype = @insutype AND year = @year`)
        .run(params).changes;
      if (moved === 0) {
        this
          .stmt(`INSERT INTO counters (psn_no, insutype, year, ${YEAR_DELTA_COLUMNS.map(([, c]) => c).join(', ')}) VALUES (@psn_no, @insutype, @year, ${YEAR_DELTA_COLUMNS.map(([d]) => `@${d}`).join(', ')})`)
          .run(params);
      }
    }
    if (rec.chr_dise_code !== null && (rec.d_chr_dedc_used !== 0 || rec.d_chr_fund_used !== 0)) {
      const params = { ...key, code: rec.chr_dise_code, dedc: rec.d_chr_dedc_used, fund: rec.d_chr_fund_used };
      const moved = this
        .stmt('UPDATE chronic_counters SET dedc_used = dedc_used + @dedc, fund_used = fund_used + @fund WHERE psn_no = @psn_no AND insutype = @insutype AND year = @year AND opsp_dise_code = @code')
        .run(params).changes;
      if (moved === 0) this.stmt('INSERT INTO chronic_counters (psn_no, insutype, year, opsp_dise_code, dedc_used, fund_used) VALUES (@psn_no, @insutype, @year, @code, @dedc, @fund)').run(params);
    }
  }

  protected settleLines(setlId: string, lines: VisitLines): void {
    const { from, visit } = coveredLines(lines);
    this.stmt(named(`INSERT INTO settlement_lines (setl_id, fee_line_id) SELECT @setl, f.id ${from}`)).run({ setl: setlId, visit });
  }

  protected insertFunds(setlId: string, funds: readonly SettlementFund[]): void {
    const row = this.stmt(
      'INSERT INTO settlement_funds (setl_id, ord, fund_pay_type, fund_pay_type_name, field, inscp_scp_amt, fund_payamt, cap_left_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    funds.forEach((f, i) => row.run(setlId, i + 1, f.fund_pay_type, f.fund_pay_type_name, f.field, f.inscp_scp_amt, f.fund_payamt, f.cap_left_after));
  }

  async settlementFunds(setlId: string): Promise<SettlementFund[]> {
    return this.stmt('SELECT fund_pay_type, fund_pay_type_name, field, inscp_scp_amt, fund_payamt, cap_left_after FROM settlement_funds WHERE setl_id = ? ORDER BY ord').all(setlId) as SettlementFund[];
  }

  async visitSettlements(mdtrtId: string): Promise<(SettlementRecord & { in_force: 0 | 1 })[]> {
    return this.stmt(named(VISIT_SETTLEMENTS)).all({ visit: mdtrtId }) as (SettlementRecord & { in_force: 0 | 1 })[];
  }

  // --- visits --------------------------------------------------------------------------------

  async updateVisit(mdtrtId: string, patch: VisitPatch): Promise<number> {
    const cols = PATCH_COLUMNS.filter((c) => patch[c] !== undefined);
    const sets = [...cols.map((c) => `${c} = @${c}`), 'lines_ever = lines_ever + @lines_added', 'rev = rev + 1'];
    const row = this
      .stmt(`UPDATE visits SET ${sets.join(', ')} WHERE mdtrt_id = @mdtrt_id RETURNING rev`)
      .get({ ...Object.fromEntries(cols.map((c) => [c, patch[c]])), lines_added: patch.lines_added ?? 0, mdtrt_id: mdtrtId }) as { rev: number } | undefined;
    if (!row) throw new Error(`no visit ${mdtrtId}`);
    return row.rev;
  }

  async visitsOf(fixmedinsCode: string, psnNo: string): Promise<VisitRow[]> {
    return this.stmt(`${VISIT_SELECT} WHERE v.psn_no = ? AND v.fixmedins_code = ? ORDER BY v.at, v.mdtrt_id`).all(psnNo, fixmedinsCode) as VisitRow[];
  }

  async openAdmissions(fixmedinsCode: string, psnNo: string): Promise<VisitRow[]> {
    return this.stmt(`${VISIT_SELECT} WHERE v.psn_no = ? AND v.fixmedins_code = ? AND v.state IN ('ADMITTED', 'DISCHARGED')`).all(psnNo, fixmedinsCode) as VisitRow[];
  }

  // --- a stay's fee lines --------------------------------------------------------------------

  async insertStayLines(lines: NewStayLine[]): Promise<void> {
    const insert = this.stmt(
      `INSERT INTO fee_lines (mdtrt_id, feedetl_sn, chrg_bchno, med_list_codg, pric_e4, cnt_e4, amount, hosp_appr_flag, body, msgid, at,
         init_feedetl_sn, fulamt_ownpay_amt, overlmt_amt, preselfpay_amt, inscp_scp_amt, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag, split_date, fee_ocur_time)
       VALUES (@mdtrt_id, @feedetl_sn, @chrg_bchno, @med_list_codg, @pric_e4, @cnt_e4, @amount, @hosp_appr_flag, @body, @msgid, @at,
         @init_feedetl_sn, @fulamt_ownpay_amt, @overlmt_amt, @preselfpay_amt, @inscp_scp_amt, @chrgitm_lv, @selfpay_prop, @pric_uplmt_amt, @lmt_used_flag, @split_date, @fee_ocur_time)`,
    );
    for (const l of lines) insert.run(l);
  }

  async stayLinesBySn(mdtrtId: string, sns: readonly string[]): Promise<StayLineRow[]> {
    if (sns.length === 0) return [];
    return this
      .stmt(`SELECT ${STAY_LINE_COLUMNS} FROM fee_lines f WHERE f.mdtrt_id = ? AND f.feedetl_sn IN (SELECT value FROM json_each(?)) ORDER BY f.id`)
      .all(mdtrtId, JSON.stringify(sns)) as StayLineRow[];
  }

  async stayLines(mdtrtId: string, opts: { setlId?: string } = {}): Promise<StayLineRow[]> {
    if (opts.setlId !== undefined) {
      return this
        .stmt(`SELECT ${STAY_LINE_COLUMNS} FROM fee_lines f JOIN settlement_lines c ON c.fee_line_id = f.id AND c.setl_id = ? WHERE f.mdtrt_id = ? ORDER BY f.id`)
        .all(opts.setlId, mdtrtId) as StayLineRow[];
    }
    return this.stmt(`SELECT * FROM (SELECT ${STAY_LINE_COLUMNS} FROM fee_lines f WHERE f.mdtrt_id = ?) WHERE live = 1 ORDER BY id`).all(mdtrtId) as StayLineRow[];
  }

  async stayLineSums(mdtrtId: string): Promise<StayLineSums & { live: number }> {
    return this.stmt(named(STAY_SUMS)).get({ visit: mdtrtId }) as StayLineSums & { live: number };
  }

  async withdrawUnsettled(mdtrtId: string, msgid: string, at: string): Promise<number> {
    return this.stmt(named(`INSERT INTO fee_line_withdrawals (fee_line_id, msgid, at) SELECT f.id, @msgid, @at ${UNSETTLED_OF}`)).run({ visit: mdtrtId, msgid, at }).changes;
  }

  // --- filings -------------------------------------------------------------------------------

  async filings(psnNo: string): Promise<FilingRow[]> {
    return this.stmt(`SELECT ${FILING_COLUMNS} FROM filings WHERE psn_no = ? ORDER BY ord`).all(psnNo) as FilingRow[];
  }

  async filing(sn: string): Promise<FilingRow | undefined> {
    return this.stmt(`SELECT ${FILING_COLUMNS} FROM filings WHERE trt_dcla_detl_sn = ?`).get(sn) as FilingRow | undefined;
  }

  async insertFiling(f: Omit<FilingRow, 'cancelled'> & { msgid: string | null; at: string }): Promise<void> {
    this
      .stmt(
        `INSERT INTO filings (trt_dcla_detl_sn, ord, psn_no, insutype, opsp_dise_code, opsp_dise_name, begndate, enddate, msgid, at)
         VALUES (@trt_dcla_detl_sn, (SELECT coalesce(max(ord), 0) + 1 FROM filings), @psn_no, @insutype, @opsp_dise_code, @opsp_dise_name, @begndate, @enddate, @msgid, @at)`,
      )
      .run(f);
  }

  async cancelFiling(sn: string, msgid: string, at: string): Promise<void> {
    void at; // the cancellation's time is its message's
    this.stmt('UPDATE filings SET cancelled = 1, cancel_msgid = ? WHERE trt_dcla_detl_sn = ?').run(msgid, sn);
  }
}

/** A visit with its derived flags, as `visit` reads it. */
export const VISIT_SELECT = `SELECT v.*, EXISTS (SELECT 1 FROM visit_events e WHERE e.mdtrt_id = v.mdtrt_id AND e.kind = 'cancel') AS cancelled,
  (SELECT json_extract(e.body, '$.med_type') FROM visit_events e WHERE e.mdtrt_id = v.mdtrt_id AND e.kind = 'info' ORDER BY e.id DESC LIMIT 1) AS info_med_type
  FROM visits v`;
