/**
 * The PostgreSQL ledger's methods for hospital stays, stored fee-line splits, setldetail rows, the
 * further counters and chronic-disease filings: the SQLite ones' statements, with the locks
 * pg-tx.ts takes for the same questions (the visit's row for its lines and state, the family's
 * accounts for counters and filings). PgTx extends this with the rest.
 */
import { YEAR_COUNTERS, zeroCounters, type ChronicCounters, type YearCounters } from '../core/counters.ts';
import { YEAR_DELTA_COLUMNS, type FilingRow, type SettlementFund, type SettlementRecord, type StayFields, type StayLineRow, type StayLineSums, type VisitLines, type VisitPatch } from './records.ts';
import { coveredLines, FILING_COLUMNS, PATCH_COLUMNS, STAY_LINE_COLUMNS, STAY_SUMS, UNSETTLED_OF, VISIT_SETTLEMENTS } from './stay-sql.ts';
import type { NewStayLine, VisitRow } from './types.ts';

const first = (sql: string) => sql.replaceAll('$visit', '$1');

/** A counters row's key in `counterRows`: a year's (psn_no, insutype, year), or a chronic disease's with its code. */
export const counterKey = (psnNo: string, insutype: string, year: number, code?: string) => [psnNo, insutype, year, ...(code === undefined ? [] : [code])].join('|');

/** A visit with its derived flags, as `visit` reads it. */
export const PG_VISIT_SELECT = `SELECT v.*, EXISTS (SELECT 1 FROM visit_events e WHERE e.mdtrt_id = v.mdtrt_id AND e.kind = 'cancel')::int AS cancelled,
  (SELECT e.body::json ->> 'med_type' FROM visit_events e WHERE e.mdtrt_id = v.mdtrt_id AND e.kind = 'info' ORDER BY e.id DESC LIMIT 1) AS info_med_type
  FROM visits v`;

export abstract class PgStayTx {
  abstract rows<R>(text: string, values?: unknown[], prepare?: boolean): Promise<R[]>;
  /** Sends a statement that answers no rows with the next round trip (pg-tx.ts). */
  abstract defer(text: string, values?: unknown[]): void;
  protected abstract lockVisits(mdtrtIds: readonly string[]): Promise<void>;
  protected abstract lockFamily(psnNo: string): Promise<Map<string, number> | undefined>;

  /**
   * Whether a counters row exists, per counterKey, as
   * this transaction last read or wrote it: the family lock it holds keeps that true, so the deltas
   * of a settlement can then be sent without waiting for an answer.
   */
  protected readonly counterRows = new Map<string, boolean>();

  private async first<R>(text: string, values: unknown[]): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
  }

  async yearCounters(psnNo: string, insutype: string, year: number): Promise<YearCounters> {
    await this.lockFamily(psnNo);
    const row = await this.first<YearCounters>(`SELECT ${YEAR_COUNTERS.join(', ')} FROM counters WHERE psn_no = $1 AND insutype = $2 AND year = $3`, [psnNo, insutype, year]);
    this.counterRows.set(counterKey(psnNo, insutype, year), row !== undefined);
    return row ? { ...row } : zeroCounters();
  }

  async chronicCounters(psnNo: string, insutype: string, year: number, code: string): Promise<ChronicCounters> {
    await this.lockFamily(psnNo);
    const row = await this.first<ChronicCounters>('SELECT dedc_used, fund_used FROM chronic_counters WHERE psn_no = $1 AND insutype = $2 AND year = $3 AND opsp_dise_code = $4', [psnNo, insutype, year, code]);
    this.counterRows.set(counterKey(psnNo, insutype, year, code), row !== undefined);
    return row ? { ...row } : { dedc_used: 0, fund_used: 0 };
  }

  /** Moves the year's and the chronic disease's counters by a stored record's deltas (the family is locked by then). */
  protected async applyDeltas(rec: SettlementRecord & StayFields): Promise<void> {
    const key = [rec.psn_no, rec.insutype, rec.year];
    if (YEAR_DELTA_COLUMNS.some(([d]) => rec[d] !== 0)) {
      const deltas = YEAR_DELTA_COLUMNS.map(([d]) => rec[d]);
      const columns = YEAR_DELTA_COLUMNS.map(([, c]) => c);
      await this.addToCounters(
        counterKey(rec.psn_no, rec.insutype, rec.year),
        `UPDATE counters SET ${columns.map((c, i) => `${c} = ${c} + $${i + 4}`).join(', ')} WHERE psn_no = $1 AND insutype = $2 AND year = $3`,
        `INSERT INTO counters (psn_no, insutype, year, ${columns.join(', ')}) VALUES ($1, $2, $3, ${columns.map((_, i) => `$${i + 4}`).join(', ')})`,
        [...key, ...deltas],
      );
    }
    if (rec.chr_dise_code !== null && (rec.d_chr_dedc_used !== 0 || rec.d_chr_fund_used !== 0)) {
      await this.addToCounters(
        counterKey(rec.psn_no, rec.insutype, rec.year, rec.chr_dise_code),
        'UPDATE chronic_counters SET dedc_used = dedc_used + $5, fund_used = fund_used + $6 WHERE psn_no = $1 AND insutype = $2 AND year = $3 AND opsp_dise_code = $4',
        'INSERT INTO chronic_counters (psn_no, insutype, year, opsp_dise_code, dedc_used, fund_used) VALUES ($1, $2, $3, $4, $5, $6)',
        [...key, rec.chr_dise_code, rec.d_chr_dedc_used, rec.d_chr_fund_used],
      );
    }
  }

  /**
   * UPDATE where the row exists, else INSERT, as on SQLite (an upsert's CHECK constraints see the
   * would-be new row, which a negative delta fails). Sent without waiting when the row's existence is known.
   */
  private async addToCounters(key: string, update: string, insert: string, values: unknown[]): Promise<void> {
    const exists = this.counterRows.get(key);
    if (exists === true) this.defer(update, values);
    else if (exists === false) this.defer(insert, values);
    else if ((await this.rows(`${update} RETURNING 1`, values)).length === 0) await this.rows(insert, values);
    this.counterRows.set(key, true);
  }

  protected async settleLines(setlId: string, lines: VisitLines): Promise<void> {
    const { from, visit } = coveredLines(lines);
    await this.lockVisits([visit]);
    this.defer(`INSERT INTO settlement_lines (setl_id, fee_line_id) SELECT $2, f.id ${first(from)}`, [visit, setlId]);
  }

  protected async insertFunds(setlId: string, funds: readonly SettlementFund[]): Promise<void> {
    if (funds.length === 0) return;
    this.defer(
      `INSERT INTO settlement_funds (setl_id, ord, fund_pay_type, fund_pay_type_name, field, inscp_scp_amt, fund_payamt, cap_left_after)
       SELECT $1, f.ord, f.t, f.n, f.field, f.inscp, f.amount, f.left_after
       FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) WITH ORDINALITY AS f(t, n, field, inscp, amount, left_after, ord)`,
      [setlId, funds.map((f) => f.fund_pay_type), funds.map((f) => f.fund_pay_type_name), funds.map((f) => f.field), funds.map((f) => f.inscp_scp_amt), funds.map((f) => f.fund_payamt), funds.map((f) => f.cap_left_after)],
    );
  }

  async settlementFunds(setlId: string): Promise<SettlementFund[]> {
    return this.rows<SettlementFund>('SELECT fund_pay_type, fund_pay_type_name, field, inscp_scp_amt, fund_payamt, cap_left_after FROM settlement_funds WHERE setl_id = $1 ORDER BY ord', [setlId]);
  }

  async visitSettlements(mdtrtId: string): Promise<(SettlementRecord & { in_force: 0 | 1 })[]> {
    await this.lockVisits([mdtrtId]);
    return this.rows(first(VISIT_SETTLEMENTS), [mdtrtId]);
  }

  // --- visits --------------------------------------------------------------------------------

  async updateVisit(mdtrtId: string, patch: VisitPatch): Promise<number> {
    await this.lockVisits([mdtrtId]);
    const cols = PATCH_COLUMNS.filter((c) => patch[c] !== undefined);
    const sets = [...cols.map((c, i) => `${c} = $${i + 3}`), 'lines_ever = lines_ever + $2', 'rev = rev + 1'];
    const row = await this.first<{ rev: number }>(`UPDATE visits SET ${sets.join(', ')} WHERE mdtrt_id = $1 RETURNING rev`, [mdtrtId, patch.lines_added ?? 0, ...cols.map((c) => patch[c])]);
    if (!row) throw new Error(`no visit ${mdtrtId}`);
    return row.rev;
  }

  async visitsOf(fixmedinsCode: string, psnNo: string): Promise<VisitRow[]> {
    return this.rows<VisitRow>(`${PG_VISIT_SELECT} WHERE v.psn_no = $1 AND v.fixmedins_code = $2 ORDER BY v.at, v.mdtrt_id`, [psnNo, fixmedinsCode]);
  }

  /** Locks the person's family first: two admissions of one person then queue, and the second sees the first. */
  async openAdmissions(fixmedinsCode: string, psnNo: string): Promise<VisitRow[]> {
    await this.lockFamily(psnNo);
    return this.rows<VisitRow>(`${PG_VISIT_SELECT} WHERE v.psn_no = $1 AND v.fixmedins_code = $2 AND v.state IN ('ADMITTED', 'DISCHARGED')`, [psnNo, fixmedinsCode]);
  }

  // --- a stay's fee lines --------------------------------------------------------------------

  /** One statement for the whole upload (1 000 lines a call), sent with the next round trip: nobody waits for its answer. */
  async insertStayLines(lines: NewStayLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.lockVisits(lines.map((l) => l.mdtrt_id));
    const col = <K extends keyof NewStayLine>(k: K) => lines.map((l) => l[k]);
    this.defer(
      `INSERT INTO fee_lines (mdtrt_id, feedetl_sn, chrg_bchno, med_list_codg, pric_e4, cnt_e4, amount, hosp_appr_flag, body, msgid, at,
         init_feedetl_sn, fulamt_ownpay_amt, overlmt_amt, preselfpay_amt, inscp_scp_amt, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag, split_date, fee_ocur_time)
       SELECT u.mdtrt_id, u.sn, u.bch, u.codg, u.pric, u.cnt, u.amount, u.appr, u.body, $20, $21,
         u.init_sn, u.fulamt, u.overlmt, u.preself, u.inscp, u.lv, u.prop, u.uplmt, u.lmt, u.split_date, u.ocur
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[],
         $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[], $17::bigint[], $18::text[], $19::text[], $22::text[])
         WITH ORDINALITY AS u(mdtrt_id, sn, bch, codg, pric, cnt, amount, appr, body, init_sn, fulamt, overlmt, preself, inscp, lv, prop, uplmt, lmt, split_date, ocur, n)
       ORDER BY u.n`,
      [
        col('mdtrt_id'), col('feedetl_sn'), col('chrg_bchno'), col('med_list_codg'), col('pric_e4'), col('cnt_e4'), col('amount'), col('hosp_appr_flag'), col('body'),
        col('init_feedetl_sn'), col('fulamt_ownpay_amt'), col('overlmt_amt'), col('preselfpay_amt'), col('inscp_scp_amt'), col('chrgitm_lv'), col('selfpay_prop'),
        col('pric_uplmt_amt'), col('lmt_used_flag'), col('split_date'), lines[0]!.msgid, lines[0]!.at, col('fee_ocur_time'),
      ],
    );
  }

  async stayLinesBySn(mdtrtId: string, sns: readonly string[]): Promise<StayLineRow[]> {
    await this.lockVisits([mdtrtId]);
    if (sns.length === 0) return [];
    return this.rows<StayLineRow>(`SELECT ${STAY_LINE_COLUMNS} FROM fee_lines f WHERE f.mdtrt_id = $1 AND f.feedetl_sn = ANY($2::text[]) ORDER BY f.id`, [mdtrtId, sns]);
  }

  async stayLines(mdtrtId: string, opts: { setlId?: string } = {}): Promise<StayLineRow[]> {
    await this.lockVisits([mdtrtId]);
    if (opts.setlId !== undefined) {
      return this.rows<StayLineRow>(`SELECT ${STAY_LINE_COLUMNS} FROM fee_lines f JOIN settlement_lines c ON c.fee_line_id = f.id AND c.setl_id = $2 WHERE f.mdtrt_id = $1 ORDER BY f.id`, [mdtrtId, opts.setlId]);
    }
    return this.rows<StayLineRow>(`SELECT * FROM (SELECT ${STAY_LINE_COLUMNS} FROM fee_lines f WHERE f.mdtrt_id = $1) t WHERE live = 1 ORDER BY id`, [mdtrtId]);
  }

  async stayLineSums(mdtrtId: string): Promise<StayLineSums & { live: number }> {
    await this.lockVisits([mdtrtId]);
    return (await this.first<StayLineSums & { live: number }>(first(STAY_SUMS), [mdtrtId]))!;
  }

  async withdrawUnsettled(mdtrtId: string, msgid: string, at: string): Promise<number> {
    await this.lockVisits([mdtrtId]);
    return (await this.rows(`INSERT INTO fee_line_withdrawals (fee_line_id, msgid, at) SELECT f.id, $2, $3 ${first(UNSETTLED_OF)} RETURNING 1`, [mdtrtId, msgid, at])).length;
  }

  // --- filings -------------------------------------------------------------------------------

  async filings(psnNo: string): Promise<FilingRow[]> {
    await this.lockFamily(psnNo);
    return this.rows<FilingRow>(`SELECT ${FILING_COLUMNS} FROM filings WHERE psn_no = $1 ORDER BY ord`, [psnNo]);
  }

  async filing(sn: string): Promise<FilingRow | undefined> {
    const row = await this.first<FilingRow>(`SELECT ${FILING_COLUMNS} FROM filings WHERE trt_dcla_detl_sn = $1`, [sn]);
    if (!row) return undefined;
    await this.lockFamily(row.psn_no); // then read again: a cancellation committed meanwhile shows
    return this.first<FilingRow>(`SELECT ${FILING_COLUMNS} FROM filings WHERE trt_dcla_detl_sn = $1`, [sn]);
  }

  async insertFiling(f: Omit<FilingRow, 'cancelled'> & { msgid: string | null; at: string }): Promise<void> {
    await this.lockFamily(f.psn_no);
    await this.rows('INSERT INTO filings (trt_dcla_detl_sn, psn_no, insutype, opsp_dise_code, opsp_dise_name, begndate, enddate, msgid, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
      f.trt_dcla_detl_sn, f.psn_no, f.insutype, f.opsp_dise_code, f.opsp_dise_name, f.begndate, f.enddate, f.msgid, f.at,
    ]);
  }

  async cancelFiling(sn: string, msgid: string, _at: string): Promise<void> {
    await this.rows('UPDATE filings SET cancelled = 1, cancel_msgid = $2 WHERE trt_dcla_detl_sn = $1', [sn, msgid]);
  }
}
