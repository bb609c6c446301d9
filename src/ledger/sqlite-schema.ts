/**
 * The SQLite ledger's tables (docs/ledger.md); pg-schema.ts has the same tables and columns. Amounts
 * are INTEGER fen, ratios INTEGER parts per 10 000.
 */

/** Bumped whenever SCHEMA changes shape. */
export const SCHEMA_VERSION = 5;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  psn_no TEXT PRIMARY KEY,
  balc INTEGER NOT NULL CHECK (balc >= 0)
);
CREATE TABLE IF NOT EXISTS counters (
  psn_no TEXT NOT NULL, insutype TEXT NOT NULL, year INTEGER NOT NULL,
  dedc_used INTEGER NOT NULL CHECK (dedc_used >= 0),
  fund_used INTEGER NOT NULL CHECK (fund_used >= 0),
  ipt_cnt INTEGER NOT NULL DEFAULT 0 CHECK (ipt_cnt >= 0),
  ipt_fund_used INTEGER NOT NULL DEFAULT 0 CHECK (ipt_fund_used >= 0),
  major_base INTEGER NOT NULL DEFAULT 0 CHECK (major_base >= 0),
  major_fund_used INTEGER NOT NULL DEFAULT 0 CHECK (major_fund_used >= 0),
  cvlserv_used INTEGER NOT NULL DEFAULT 0 CHECK (cvlserv_used >= 0),
  maf_used INTEGER NOT NULL DEFAULT 0 CHECK (maf_used >= 0),
  PRIMARY KEY (psn_no, insutype, year)
);
CREATE TABLE IF NOT EXISTS chronic_counters (
  psn_no TEXT NOT NULL, insutype TEXT NOT NULL, year INTEGER NOT NULL, opsp_dise_code TEXT NOT NULL,
  dedc_used INTEGER NOT NULL CHECK (dedc_used >= 0),
  fund_used INTEGER NOT NULL CHECK (fund_used >= 0),
  PRIMARY KEY (psn_no, insutype, year, opsp_dise_code)
);
CREATE TABLE IF NOT EXISTS filings (
  trt_dcla_detl_sn TEXT PRIMARY KEY, ord INTEGER NOT NULL UNIQUE, psn_no TEXT NOT NULL, insutype TEXT NOT NULL,
  opsp_dise_code TEXT NOT NULL, opsp_dise_name TEXT, begndate TEXT NOT NULL, enddate TEXT,
  cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
  msgid TEXT, cancel_msgid TEXT, at TEXT
);
CREATE INDEX IF NOT EXISTS filings_person ON filings (psn_no, ord);
CREATE TABLE IF NOT EXISTS messages (
  msgid TEXT PRIMARY KEY, infno TEXT NOT NULL, fixmedins_code TEXT NOT NULL,
  request TEXT NOT NULL, response TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY, msgid TEXT, infno TEXT, err_code TEXT NOT NULL, err_msg TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_ins (
  sign_no TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, opter_no TEXT, at TEXT NOT NULL, msgid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS visits (
  mdtrt_id TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, psn_no TEXT NOT NULL, insutype TEXT NOT NULL,
  med_type TEXT, cert_type TEXT NOT NULL, cert_no TEXT NOT NULL, holder_psn_no TEXT,
  ipt_otp_no TEXT, begntime TEXT, msgid TEXT NOT NULL, at TEXT NOT NULL,
  inpatient INTEGER NOT NULL DEFAULT 0 CHECK (inpatient IN (0, 1)),
  state TEXT CHECK (state IN ('ADMITTED', 'DISCHARGED', 'SETTLED', 'CANCELLED')),
  ipt_no TEXT, endtime TEXT, dise_codg TEXT, dise_name TEXT, dscg_way TEXT, body TEXT,
  rev INTEGER NOT NULL DEFAULT 0, lines_ever INTEGER NOT NULL DEFAULT 0,
  CHECK ((inpatient = 1) = (state IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS visits_person ON visits (psn_no, fixmedins_code);
CREATE UNIQUE INDEX IF NOT EXISTS visits_open_admission ON visits (fixmedins_code, psn_no) WHERE state IN ('ADMITTED', 'DISCHARGED');
CREATE TABLE IF NOT EXISTS visit_events (
  id INTEGER PRIMARY KEY, mdtrt_id TEXT NOT NULL REFERENCES visits(mdtrt_id),
  kind TEXT NOT NULL CHECK (kind IN ('info', 'cancel')), body TEXT NOT NULL, msgid TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fee_lines (
  id INTEGER PRIMARY KEY, mdtrt_id TEXT NOT NULL REFERENCES visits(mdtrt_id), feedetl_sn TEXT NOT NULL,
  chrg_bchno TEXT, med_list_codg TEXT NOT NULL, pric_e4 INTEGER NOT NULL, cnt_e4 INTEGER NOT NULL,
  amount INTEGER NOT NULL, hosp_appr_flag TEXT, body TEXT NOT NULL, msgid TEXT NOT NULL, at TEXT NOT NULL,
  init_feedetl_sn TEXT, fulamt_ownpay_amt INTEGER, overlmt_amt INTEGER, preselfpay_amt INTEGER, inscp_scp_amt INTEGER,
  chrgitm_lv TEXT, selfpay_prop INTEGER, pric_uplmt_amt INTEGER, lmt_used_flag TEXT, split_date TEXT, fee_ocur_time TEXT
);
CREATE INDEX IF NOT EXISTS fee_lines_visit ON fee_lines (mdtrt_id, feedetl_sn);
CREATE INDEX IF NOT EXISTS fee_lines_refunds ON fee_lines (mdtrt_id, init_feedetl_sn) WHERE init_feedetl_sn IS NOT NULL;
CREATE TABLE IF NOT EXISTS fee_line_withdrawals (
  fee_line_id INTEGER PRIMARY KEY REFERENCES fee_lines(id), msgid TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settlements (
  seq INTEGER PRIMARY KEY,
  setl_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('settle', 'cancel', 'reversal')),
  init_setl_id TEXT REFERENCES settlements(setl_id),
  mdtrt_id TEXT NOT NULL, psn_no TEXT NOT NULL, insutype TEXT NOT NULL, psn_type TEXT NOT NULL,
  clr_type TEXT NOT NULL, clr_optins TEXT NOT NULL, fixmedins_code TEXT NOT NULL, med_type TEXT NOT NULL,
  setl_time TEXT NOT NULL, setl_date TEXT NOT NULL, year INTEGER NOT NULL,
  medfee_sumamt INTEGER NOT NULL, fulamt_ownpay_amt INTEGER NOT NULL, overlmt_selfpay INTEGER NOT NULL,
  preselfpay_amt INTEGER NOT NULL, inscp_scp_amt INTEGER NOT NULL, act_pay_dedc INTEGER NOT NULL,
  hifp_pay INTEGER NOT NULL, fund_pay_sumamt INTEGER NOT NULL, psn_part_amt INTEGER NOT NULL,
  acct_pay INTEGER NOT NULL, acct_mulaid_pay INTEGER NOT NULL, psn_cash_pay INTEGER NOT NULL,
  balc INTEGER NOT NULL, mdtrt_cert_type TEXT NOT NULL, pool_prop_selfpay INTEGER NOT NULL, msgid TEXT NOT NULL,
  mid_setl_flag TEXT CHECK (mid_setl_flag IN ('0', '1')), dedc_standard INTEGER NOT NULL,
  hifob_pay INTEGER NOT NULL, hifmi_pay INTEGER NOT NULL, cvlserv_pay INTEGER NOT NULL, maf_pay INTEGER NOT NULL,
  d_dedc_used INTEGER NOT NULL, d_fund_used INTEGER NOT NULL, d_ipt_cnt INTEGER NOT NULL, d_ipt_fund_used INTEGER NOT NULL,
  d_major_base INTEGER NOT NULL, d_major_fund_used INTEGER NOT NULL, d_cvlserv_used INTEGER NOT NULL, d_maf_used INTEGER NOT NULL,
  d_chr_dedc_used INTEGER NOT NULL, d_chr_fund_used INTEGER NOT NULL, chr_dise_code TEXT, maf_psn_idet_type TEXT, visit_rev INTEGER,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  CHECK (medfee_sumamt = fund_pay_sumamt + acct_pay + psn_cash_pay)
);
CREATE INDEX IF NOT EXISTS settlements_visit ON settlements (mdtrt_id, seq);
CREATE INDEX IF NOT EXISTS settlements_init ON settlements (init_setl_id);
CREATE INDEX IF NOT EXISTS settlements_day ON settlements (fixmedins_code, setl_date);
CREATE TABLE IF NOT EXISTS settlement_debits (
  setl_id TEXT NOT NULL REFERENCES settlements(setl_id), psn_no TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('own', 'mulaid')), amount INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS settlement_debits_setl ON settlement_debits (setl_id);
CREATE TABLE IF NOT EXISTS settlement_lines (
  setl_id TEXT NOT NULL REFERENCES settlements(setl_id), fee_line_id INTEGER NOT NULL REFERENCES fee_lines(id),
  PRIMARY KEY (setl_id, fee_line_id)
);
CREATE INDEX IF NOT EXISTS settlement_lines_line ON settlement_lines (fee_line_id);
CREATE TABLE IF NOT EXISTS settlement_funds (
  setl_id TEXT NOT NULL REFERENCES settlements(setl_id), ord INTEGER NOT NULL,
  fund_pay_type TEXT NOT NULL, fund_pay_type_name TEXT NOT NULL, field TEXT NOT NULL,
  inscp_scp_amt INTEGER NOT NULL, fund_payamt INTEGER NOT NULL, cap_left_after INTEGER,
  PRIMARY KEY (setl_id, ord)
);
CREATE TABLE IF NOT EXISTS ecert_uses (
  nonce TEXT PRIMARY KEY, psn_no TEXT NOT NULL, token TEXT NOT NULL UNIQUE, fixmedins_code TEXT NOT NULL,
  used_at INTEGER NOT NULL, token_expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS request_nonces (
  paasid TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (paasid, nonce)
);
CREATE INDEX IF NOT EXISTS request_nonces_at ON request_nonces (at);
`;
