/**
 * A stand-in national platform for the inpatient window's API tests, over HTTP at the gateway's path
 * (the terminal reaches it with --platform URL). It speaks inpatient.md's interface (2401, 2301 with
 * refund lines, 2302, 2402, 2405, 2404, 2303, 2304, 2305, 5201, 3201) and keeps the stays, lines and
 * settlements it answered, so a test compares the screen with what the platform holds. Its money is
 * no engine: per-line splits follow the catalog kinds below, and a settlement answers the figures
 * of the worked example (I1, I4 mid-stay, I4 final) whose lines are live and unsettled, else
 * `no_worked_example`. It serves what the real platform cannot do on demand (lose an answer after
 * applying it); the walks on the real handlers are in inpatient-ledger.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Split = { fulamt_ownpay_amt: number; overlmt_amt: number; preselfpay_amt: number; inscp_scp_amt: number };
/** How a catalog code splits, in fen: 甲 all in scope, 乙 a first self-pay ratio, 丙 all self-paid, an implant with a price cap. */
export type Kind = { lv: '01' } | { lv: '02'; selfpay: number; capFen?: number } | { lv: '03' };

export interface FakeLine {
  feedetl_sn: string;
  init_feedetl_sn: string | null;
  mdtrt_id: string;
  med_list_codg: string;
  pricFen: number;
  cnt: number;
  amountFen: number;
  split: Split;
  setl_id: string | null;
  live: boolean;
}
export interface FakeStay {
  mdtrt_id: string;
  psn_no: string;
  insutype: string;
  med_type: string;
  ipt_no: string;
  begntime: string;
  endtime: string | null;
  state: 'ADMITTED' | 'DISCHARGED' | 'SETTLED' | 'CANCELLED';
}
export interface FakeSettlement {
  setl_id: string;
  mdtrt_id: string;
  kind: 'settle' | 'cancel';
  init_setl_id: string | null;
  mid: boolean;
  setlinfo: Record<string, unknown>;
  in_force: boolean;
}

const half = (x: number) => Math.sign(x) * Math.round(Math.abs(x)) || 0;
const y = (f: number) => f / 100;

/** inpatient.md section 9: the settlement figures (yuan) by medfee_sumamt, and the fund rows. */
export const WORKED: Record<string, { setlinfo: Record<string, number>; setldetail: Array<[string, string, number, number | null]> }> = {
  I1: {
    setlinfo: { medfee_sumamt: 48650, fulamt_ownpay_amt: 1650, overlmt_selfpay: 800, preselfpay_amt: 2040, inscp_scp_amt: 44160, act_pay_dedc: 500, hifp_pay: 10000, hifob_pay: 27328, hifmi_pay: 0, cvlserv_pay: 0, maf_pay: 0, fund_pay_sumamt: 37328, psn_part_amt: 11322, acct_pay: 3000, acct_mulaid_pay: 0, psn_cash_pay: 8322, balc: 0 },
    setldetail: [['310100', '职工基本医疗保险统筹基金', 10000, 0], ['330100', '职工大额医疗费用补助', 27328, 454832]],
  },
  I4mid: {
    setlinfo: { medfee_sumamt: 1500, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 100, inscp_scp_amt: 1400, act_pay_dedc: 700, hifp_pay: 609, hifob_pay: 0, hifmi_pay: 0, cvlserv_pay: 0, maf_pay: 0, fund_pay_sumamt: 609, psn_part_amt: 891, acct_pay: 891, acct_mulaid_pay: 0, psn_cash_pay: 0, balc: 109 },
    setldetail: [['310100', '职工基本医疗保险统筹基金', 609, 299391]],
  },
  I4final: {
    setlinfo: { medfee_sumamt: 2200, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 20, inscp_scp_amt: 2180, act_pay_dedc: 0, hifp_pay: 1896.6, hifob_pay: 0, hifmi_pay: 0, cvlserv_pay: 0, maf_pay: 0, fund_pay_sumamt: 1896.6, psn_part_amt: 303.4, acct_pay: 109, acct_mulaid_pay: 0, psn_cash_pay: 194.4, balc: 0 },
    setldetail: [['310100', '职工基本医疗保险统筹基金', 1896.6, 297494.4]],
  },
};

export class InpatientStandIn {
  readonly stays = new Map<string, FakeStay>();
  readonly lines: FakeLine[] = [];
  readonly settlements: FakeSettlement[] = [];
  readonly calls: Array<{ infno: string; input: Record<string, any> }> = [];
  private readonly answered = new Map<string, unknown>();
  private seq = 0;
  /** The next answer to this infno is applied and then lost (the connection dropped): the terminal must resend the same msgid. */
  loseAnswerOf: string | null = null;
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly person: { psn_no: string; certno: string; psn_name: string; insutype: string; balcFen: number },
    private readonly kinds: Record<string, Kind>,
    /** Which worked example a settlement of this medfee_sumamt (fen) and mid_setl_flag is. */
    private readonly examples: Record<string, keyof typeof WORKED>,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        const env = JSON.parse(body) as { msgid: string; infno: string; input: Record<string, any> };
        let out = this.answered.get(env.msgid);
        if (!out) {
          out = this.answer(env);
          this.answered.set(env.msgid, out);
          if (this.loseAnswerOf === env.infno) {
            this.loseAnswerOf = null;
            req.socket.destroy();
            return;
          }
        }
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private id(prefix: string): string {
    this.seq += 1;
    return `${prefix}${String(this.seq).padStart(8, '0')}`;
  }

  private answer(env: { msgid: string; infno: string; input: Record<string, any> }) {
    this.calls.push({ infno: env.infno, input: env.input });
    const base = { inf_refmsgid: this.id('R'), refmsg_time: '20261120100000000', respond_time: '20261120100000000' };
    try {
      return { infcode: 0, ...base, err_msg: null, output: this.handle(env.infno, env.input) };
    } catch (err) {
      const e = err as Error & { code?: string };
      return { infcode: -1, ...base, err_msg: e.message, err_code: e.code ?? 'refused', output: null };
    }
  }

  private refuse(code: string): never {
    throw Object.assign(new Error(code), { code });
  }

  private stay(id: string): FakeStay {
    return this.stays.get(id) ?? this.refuse('visit_unknown');
  }

  private handle(infno: string, input: Record<string, any>): unknown {
    const p = this.person;
    switch (infno) {
      case '9001':
        return { signinoutb: { sign_time: '2026-11-20 10:00:00', sign_no: '20261120100000000001' } };
      case '1101':
        if (String(input.data.certno).toUpperCase() !== p.certno) this.refuse('person_unknown');
        return {
          baseinfo: { psn_no: p.psn_no, psn_cert_type: '01', certno: p.certno, psn_name: p.psn_name, gend: '1', naty: '01', brdy: '1970-01-01', age: 56 },
          insuinfo: [{ insutype: p.insutype, psn_type: '11', psn_insu_stas: '1', insuplc_admdvs: '440300', balc: y(p.balcFen) }],
          idetinfo: [],
        };
      case '2401': {
        const m = input.mdtrtinfo;
        if ([...this.stays.values()].some((s) => s.psn_no === m.psn_no && (s.state === 'ADMITTED' || s.state === 'DISCHARGED'))) this.refuse('admission_open');
        const s: FakeStay = { mdtrt_id: this.id('ZY'), psn_no: m.psn_no, insutype: m.insutype, med_type: m.med_type, ipt_no: m.ipt_no, begntime: m.begntime, endtime: null, state: 'ADMITTED' };
        this.stays.set(s.mdtrt_id, s);
        return { result: { mdtrt_id: s.mdtrt_id } };
      }
      case '2301':
        return { result: this.upload(input.feedetail) };
      case '2302': {
        const s = this.stay(input.data.mdtrt_id);
        if (s.state !== 'ADMITTED') this.refuse(`visit_${s.state.toLowerCase()}`);
        const l = this.lines.find((x) => x.mdtrt_id === s.mdtrt_id && x.live && x.feedetl_sn === input.data.feedetl_sn) ?? this.refuse('fee_line_unknown');
        if (l.setl_id) this.refuse('fee_line_settled');
        if (this.lines.some((x) => x.live && x.init_feedetl_sn === l.feedetl_sn && x.mdtrt_id === s.mdtrt_id)) this.refuse('refund_lines_exist');
        l.live = false;
        return null;
      }
      case '2402': {
        const s = this.stay(input.dscginfo.mdtrt_id);
        if (s.state !== 'ADMITTED') this.refuse(s.state === 'DISCHARGED' ? 'visit_discharged' : `visit_${s.state.toLowerCase()}`);
        s.state = 'DISCHARGED';
        s.endtime = input.dscginfo.endtime;
        return null;
      }
      case '2405': {
        const s = this.stay(input.data.mdtrt_id);
        if (s.state !== 'DISCHARGED') this.refuse(s.state === 'ADMITTED' ? 'visit_not_discharged' : `visit_${s.state.toLowerCase()}`);
        s.state = 'ADMITTED';
        s.endtime = null;
        return null;
      }
      case '2404': {
        const s = this.stay(input.data.mdtrt_id);
        if (this.lines.some((l) => l.mdtrt_id === s.mdtrt_id && l.live)) this.refuse('fee_lines_exist');
        s.state = 'CANCELLED';
        return null;
      }
      case '2303':
      case '2304':
        return this.settle(input.data, infno === '2304');
      case '2305': {
        const st = this.settlements.find((x) => x.setl_id === input.data.setl_id && x.kind === 'settle') ?? this.refuse('settlement_unknown');
        if (!st.in_force) this.refuse('already_cancelled');
        st.in_force = false;
        for (const l of this.lines) if (l.setl_id === st.setl_id) l.setl_id = null;
        const s = this.stay(st.mdtrt_id);
        if (!st.mid) s.state = 'DISCHARGED';
        const neg = Object.fromEntries(Object.entries(st.setlinfo).map(([k, v]) => [k, typeof v === 'number' && k !== 'balc' ? -v : v]));
        const rec: FakeSettlement = { setl_id: this.id('C'), mdtrt_id: st.mdtrt_id, kind: 'cancel', init_setl_id: st.setl_id, mid: st.mid, in_force: true, setlinfo: { ...neg, balc: y(p.balcFen) } };
        rec.setlinfo.setl_id = rec.setl_id;
        this.settlements.push(rec);
        return { setlinfo: rec.setlinfo, setldetail: [] };
      }
      case '5201':
        return { mdtrtinfo: [...this.stays.values()].filter((s) => s.psn_no === input.data.psn_no).map((s) => ({ mdtrt_id: s.mdtrt_id, psn_no: s.psn_no, insutype: s.insutype, med_type: s.med_type, begntime: s.begntime, endtime: s.endtime, ipt_otp_no: s.ipt_no, inhosp_stas: { ADMITTED: '1', DISCHARGED: '2', SETTLED: '3', CANCELLED: '9' }[s.state], dise_codg: null })) };
      case '5204':
        return { feedetail: this.lines.filter((l) => l.live && l.mdtrt_id === input.data.mdtrt_id).map((l) => ({ feedetl_sn: l.feedetl_sn, init_feedetl_sn: l.init_feedetl_sn, med_list_codg: l.med_list_codg, pric: y(l.pricFen), cnt: l.cnt, det_item_fee_sumamt: y(l.amountFen), ...yuanSplit(l.split), setl_id: l.setl_id })) };
      case '3201': {
        const d = input.data;
        const recs = this.settlements.filter((s) => String(s.setlinfo.insutype) === d.insutype && d.clr_type === '21');
        const sum = (k: string) => Math.round(recs.reduce((a, s) => a + Math.round(Number(s.setlinfo[k]) * 100), 0));
        const agree = sum('medfee_sumamt') === Math.round(d.medfee_sumamt * 100) && sum('fund_pay_sumamt') === Math.round(d.fund_pay_sumamt * 100) && sum('acct_pay') === Math.round(d.acct_pay * 100) && recs.length === d.fixmedins_setl_cnt;
        return { stmtinfo: { setl_optins: '440300', stmt_rslt: agree ? '0' : '1', stmt_rslt_dscr: agree ? '对账一致' : '对账不一致' } };
      }
      default:
        return this.refuse('infno_unknown');
    }
  }

  private upload(rows: Array<Record<string, any>>) {
    const added: FakeLine[] = [];
    const out = [];
    for (const r of rows) {
      const s = this.stay(r.mdtrt_id);
      if (s.state !== 'ADMITTED') this.refuse(`visit_${s.state.toLowerCase()}`);
      const all = [...this.lines, ...added];
      if (all.some((l) => l.mdtrt_id === s.mdtrt_id && l.feedetl_sn === r.feedetl_sn)) this.refuse('duplicate_feedetl_sn');
      const pricFen = Math.round(r.pric * 100);
      const amountFen = Math.round(r.det_item_fee_sumamt * 100);
      let split: Split;
      if (r.cnt < 0) {
        const o = all.find((l) => l.mdtrt_id === s.mdtrt_id && l.live && l.feedetl_sn === r.init_feedetl_sn && l.cnt > 0) ?? this.refuse('refund_line_unknown');
        if (o.setl_id) this.refuse('refund_line_settled');
        if (o.med_list_codg !== r.med_list_codg || o.pricFen !== pricFen) this.refuse('refund_mismatch');
        const f = -r.cnt / o.cnt;
        split = { fulamt_ownpay_amt: half(-o.split.fulamt_ownpay_amt * f), overlmt_amt: half(-o.split.overlmt_amt * f), preselfpay_amt: half(-o.split.preselfpay_amt * f), inscp_scp_amt: 0 };
        split.inscp_scp_amt = amountFen - split.fulamt_ownpay_amt - split.overlmt_amt - split.preselfpay_amt;
      } else {
        split = this.split(r.med_list_codg, pricFen, r.cnt, amountFen);
      }
      const l: FakeLine = { feedetl_sn: r.feedetl_sn, init_feedetl_sn: r.cnt < 0 ? r.init_feedetl_sn : null, mdtrt_id: s.mdtrt_id, med_list_codg: r.med_list_codg, pricFen, cnt: r.cnt, amountFen, split, setl_id: null, live: true };
      added.push(l);
      out.push({ feedetl_sn: l.feedetl_sn, det_item_fee_sumamt: y(amountFen), cnt: r.cnt, pric: r.pric, ...yuanSplit(split), chrgitm_lv: this.kinds[r.med_list_codg]?.lv ?? '03' });
    }
    this.lines.push(...added);
    return out;
  }

  private split(code: string, pricFen: number, cnt: number, amountFen: number): Split {
    const k = this.kinds[code] ?? { lv: '03' };
    if (k.lv === '01') return { fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: amountFen };
    if (k.lv === '03') return { fulamt_ownpay_amt: amountFen, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0 };
    const allowed = k.capFen !== undefined ? Math.min(amountFen, half(Math.min(pricFen, k.capFen) * cnt)) : amountFen;
    const pre = half(allowed * k.selfpay);
    return { fulamt_ownpay_amt: 0, overlmt_amt: amountFen - allowed, preselfpay_amt: pre, inscp_scp_amt: allowed - pre };
  }

  private settle(d: Record<string, any>, write: boolean) {
    const s = this.stay(d.mdtrt_id);
    const mid = d.mid_setl_flag === '1';
    if (mid && s.state !== 'ADMITTED') this.refuse(`visit_${s.state.toLowerCase()}`);
    if (!mid && s.state !== 'DISCHARGED') this.refuse(s.state === 'ADMITTED' ? 'visit_not_discharged' : `visit_${s.state.toLowerCase()}`);
    const open = this.lines.filter((l) => l.mdtrt_id === s.mdtrt_id && l.live && !l.setl_id);
    if (!open.length) this.refuse('no_fee_lines');
    const total = open.reduce((a, l) => a + l.amountFen, 0);
    if (total !== Math.round(d.medfee_sumamt * 100)) this.refuse('sum_mismatch');
    const ex = this.examples[`${total}|${d.mid_setl_flag}`] ?? this.refuse('no_worked_example');
    const w = WORKED[ex]!;
    const setl_id = write ? this.id('S') : null;
    const setlinfo = { ...w.setlinfo, setl_id, mdtrt_id: s.mdtrt_id, psn_no: s.psn_no, insutype: s.insutype, med_type: s.med_type, clr_type: '21', mid_setl_flag: d.mid_setl_flag, setl_time: '2026-11-20 10:00:00', psn_name: this.person.psn_name };
    const setldetail = w.setldetail.map(([fund_pay_type, fund_pay_type_name, fund_payamt, left]) => ({ fund_pay_type, fund_pay_type_name, inscp_scp_amt: w.setlinfo.inscp_scp_amt, fund_payamt, crt_payb_lmt_amt: left }));
    if (write) {
      for (const l of open) l.setl_id = setl_id;
      this.settlements.push({ setl_id: setl_id!, mdtrt_id: s.mdtrt_id, kind: 'settle', init_setl_id: null, mid, setlinfo, in_force: true });
      if (!mid) s.state = 'SETTLED';
      this.person.balcFen = Math.round(w.setlinfo.balc! * 100);
    }
    return { setlinfo, setldetail };
  }
}

function yuanSplit(s: Split) {
  return { fulamt_ownpay_amt: y(s.fulamt_ownpay_amt), overlmt_amt: y(s.overlmt_amt), preselfpay_amt: y(s.preselfpay_amt), inscp_scp_amt: y(s.inscp_scp_amt) };
}
