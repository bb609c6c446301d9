// medpos cashier page: the inpatient window (住院, hospital mode). The server owns the stay
// (/api/inpatient); this script renders what it answers. The patient is identified through the
// checkout's identify API (card, e-certificate, ID number), then found (5201) or admitted (2401).

import { act, api, esc, money } from './app.js';

const $ = (sel) => document.querySelector(sel);
let draft = []; // today's fees typed and not yet uploaded: { hilist_code, pric, cnt }
let stay = null;

const STATE_CLASS = { ADMITTED: 'open', DISCHARGED: 'warn', SETTLED: 'done', CANCELLED: 'void' };
const FIGURES = [
  ['medfee_sumamt', '医疗费总额 total'],
  ['fulamt_ownpay_amt', '全自费 full self-pay'],
  ['overlmt_selfpay', '超限价自付 over the cap'],
  ['preselfpay_amt', '先行自付 first self-pay'],
  ['inscp_scp_amt', '符合范围 in scope'],
  ['act_pay_dedc', '起付线 deductible'],
  ['fund_pay_sumamt', '基金支付合计 funds'],
  ['psn_part_amt', '个人负担 patient part'],
  ['acct_pay', '个人账户 account'],
  ['acct_mulaid_pay', '共济账户 mutual aid'],
  ['psn_cash_pay', '现金 cash'],
  ['balc', '账户余额 balance after'],
];

function figuresTable(f, id) {
  const rows = FIGURES.map(([k, label]) => `<tr><th>${label}</th><td class="num" data-k="${k}">${money(f[k])}</td></tr>`).join('');
  const funds = f.funds
    .map((d) => `<tr data-fund="${esc(d.fund_pay_type)}"><th>${esc(d.fund_pay_type)} ${esc(d.name)}</th><td class="num fund-amt">${money(d.fund_payamt)}</td><td class="num muted fund-left">${d.crt_payb_lmt_amt === null ? '—' : `余 ${money(d.crt_payb_lmt_amt)}`}</td></tr>`)
    .join('');
  return `<table class="totals" id="${id}">${rows}</table>
    <h3>各基金 <span class="en">by fund (setldetail)</span></h3>
    <table class="grid" id="${id}-funds"><tr><th>基金 fund</th><th>支付 paid</th><th>剩余限额 cap left</th></tr>${funds || '<tr><td colspan="3" class="muted">无基金支付</td></tr>'}</table>`;
}

function renderPatient(co) {
  const p = co && co.patient;
  $('#ipt-patient').textContent = p ? `${p.name} ${p.certno} · ${p.insuinfo.map((i) => `${i.insutype} ${i.name}${i.active ? '' : '（暂停）'}`).join('，')}` : '';
}

function renderDraft() {
  $('#ipt-draft').innerHTML = draft.length
    ? `<tr><th>待上传 to upload</th><th>单价</th><th>数量</th><th>金额</th><th></th></tr>${draft
        .map((d, i) => `<tr><td>${esc(d.hilist_code)}</td><td class="num">${money(d.pric)}</td><td class="num">${d.cnt}</td><td class="num">${money(Math.round(d.pric * d.cnt * 100) / 100)}</td><td><button type="button" class="link" data-drop="${i}">删除</button></td></tr>`)
        .join('')}`
    : '';
  for (const b of document.querySelectorAll('#ipt-draft [data-drop]'))
    b.onclick = () => {
      draft.splice(Number(b.dataset.drop), 1);
      renderDraft();
    };
}

function renderLines(s) {
  const head = '<tr><th>流水号 sn</th><th>名称 / 编码</th><th>类别</th><th>单价</th><th>数量</th><th>金额</th><th>全自费</th><th>超限价</th><th>先行自付</th><th>符合范围</th><th>结算</th><th></th></tr>';
  const admitted = s.state === 'ADMITTED';
  const rows = s.lines.map((l) => {
    const sp = l.split || {};
    const actions = admitted && l.setl_id === null
      ? `${l.cnt > 0 ? `<input class="refund-cnt" size="3" placeholder="退数量"><button type="button" class="link refund">退费</button> ` : ''}<button type="button" class="link withdraw">撤销 2302</button>`
      : '';
    return `<tr data-sn="${esc(l.feedetl_sn)}" class="${l.cnt < 0 ? 'refund' : ''}"><td>${esc(l.feedetl_sn)}${l.init_feedetl_sn ? ` ← ${esc(l.init_feedetl_sn)}` : ''}</td><td>${esc(l.name)}<br><span class="muted small">${esc(l.hilist_code)}</span></td>
      <td>${esc(l.chrgitm_lv ?? '')}</td><td class="num">${money(l.pric)}</td><td class="num">${l.cnt}</td><td class="num amt">${money(l.amount)}</td>
      <td class="num">${money(sp.fulamt_ownpay_amt)}</td><td class="num">${money(sp.overlmt_amt)}</td><td class="num">${money(sp.preselfpay_amt)}</td><td class="num">${money(sp.inscp_scp_amt)}</td>
      <td class="small">${esc(l.setl_id ?? '未结算')}</td><td>${actions}</td></tr>`;
  });
  $('#ipt-lines').innerHTML = `${head}${rows.join('')}<tr><td colspan="5" class="right">未结算合计 unsettled (${s.unsettled_count})</td><td class="num" id="ipt-unsettled">${money(s.unsettled_sum)}</td><td colspan="6"></td></tr>`;
  for (const tr of document.querySelectorAll('#ipt-lines tr[data-sn]')) {
    const sn = tr.dataset.sn;
    const r = tr.querySelector('.refund');
    if (r) r.onclick = () => act(async () => show(await api('POST', '/api/inpatient/refund', { feedetl_sn: sn, cnt: Number(tr.querySelector('.refund-cnt').value) })));
    const w = tr.querySelector('.withdraw');
    if (w) w.onclick = () => act(async () => show(await api('POST', '/api/inpatient/withdraw', { feedetl_sn: sn })));
  }
}

function renderSettlements(s) {
  $('#ipt-settlements').innerHTML = s.settlements.length
    ? `<tr><th>结算 setl_id</th><th>中途</th><th>总额</th><th>基金</th><th>账户</th><th>现金</th><th>撤销</th><th></th></tr>${s.settlements
        .map(
          (st) => `<tr data-setl="${esc(st.setl_id)}"><td>${esc(st.setl_id)}</td><td>${st.mid_setl_flag === '1' ? '中途' : '出院'}</td><td class="num">${money(st.medfee_sumamt)}</td><td class="num">${money(st.fund_pay_sumamt)}</td>
          <td class="num">${money(st.acct_pay)}</td><td class="num">${money(st.psn_cash_pay)}</td><td>${esc(st.cancel_setl_id ?? '')}</td>
          <td><button type="button" class="link statement">结算单 print</button>${st.cancel_setl_id ? '' : ' <button type="button" class="link cancel">撤销结算 2305</button>'}</td></tr>`,
        )
        .join('')}`
    : '';
  for (const tr of document.querySelectorAll('#ipt-settlements tr[data-setl]')) {
    const id = tr.dataset.setl;
    tr.querySelector('.statement').onclick = () => act(() => printStatement(id));
    const c = tr.querySelector('.cancel');
    if (c) c.onclick = () => act(async () => show(await api('POST', `/api/inpatient/settlements/${encodeURIComponent(id)}/cancel`)));
  }
}

function show(v) {
  stay = v.stay;
  $('#ipt-stay-box').hidden = !stay;
  $('#ipt-settle-box').hidden = !stay;
  if (!stay) return;
  const s = stay;
  $('#ipt-stay-head').innerHTML = `${esc(s.patient)} ${esc(s.certno)} · 住院号 <code id="ipt-no">${esc(s.ipt_no)}</code> · 就诊 <code id="ipt-mdtrt">${esc(s.mdtrt_id)}</code> · ${esc(s.insutype)} · ${esc(s.med_type)} · 入院 ${esc(s.begntime)}${s.endtime ? ` · 出院 ${esc(s.endtime)}` : ''} · <span id="ipt-state" class="state-pill ${STATE_CLASS[s.state]}" data-state="${s.state}">${esc(s.state_name)} ${s.state}</span>`;
  renderLines(s);
  $('#ipt-discharge').disabled = s.state !== 'ADMITTED';
  $('#ipt-unadmit').disabled = s.state !== 'ADMITTED';
  $('#ipt-undischarge').disabled = s.state !== 'DISCHARGED';
  $('#ipt-trial').disabled = s.state !== 'ADMITTED' && s.state !== 'DISCHARGED';
  $('#ipt-mid').checked = s.state === 'ADMITTED';
  $('#ipt-trial-box').innerHTML = s.trial ? `<p>${s.trial.mid_setl_flag === '1' ? '中途结算试算 mid-stay trial' : '出院结算试算 final trial'}</p>${figuresTable(s.trial, 'ipt-trial')}` : '';
  $('#ipt-pay').hidden = !s.trial;
  renderSettlements(s);
}

/** The 住院结算单, alone on A5 paper. */
async function printStatement(setlId) {
  const r = await api('GET', `/api/inpatient/statements/${encodeURIComponent(setlId)}`);
  const lines = r.lines.map((l) => `<tr><td>${esc(l.feedetl_sn)} ${esc(l.name)}</td><td class="num">${l.cnt}</td><td class="num">${money(l.amount)}</td></tr>`).join('');
  const el = $('#receipt');
  el.className = 'receipt paper-a5';
  el.innerHTML = `<div class="r-head"><div class="r-title" id="st-title">${esc(r.title)}${r.mid_setl_flag === '1' ? '（中途结算）' : ''}${r.cancel_setl_id ? '（已撤销）' : ''}</div></div>
    <div>结算号 <span id="st-setl-id">${esc(r.setl_id)}</span> · ${esc(r.setl_time)}</div>
    <div>${esc(r.patient)} ${esc(r.certno)} · 住院号 ${esc(r.ipt_no)} · ${esc(r.insutype)} / ${esc(r.med_type)}</div>
    <div>入院 ${esc(r.begntime)}${r.endtime ? ` · 出院 ${esc(r.endtime)}` : ''}</div>
    <table class="r-lines">${lines}</table>
    ${figuresTable({ ...r, funds: r.funds }, 'st')}
    <table class="r-totals"><tr><th>本次起付线 deductible</th><td id="st-dedc">${money(r.act_pay_dedc)}</td></tr>
    <tr><th>统筹基金剩余限额 pool cap left</th><td id="st-cap-left">${r.pool_cap_left === null ? '—' : money(r.pool_cap_left)}</td></tr></table>
    <div class="r-foot">患者签字 ____________</div>`;
  el.hidden = false;
  document.body.dataset.paper = 'a5';
  if (!navigator.webdriver) window.print();
}

async function identify(body) {
  $('#receipt').hidden = true;
  await api('POST', '/api/checkout');
  renderPatient(await api('POST', '/api/checkout/identify', body));
}

function wire() {
  if (document.body.dataset.mode !== 'outpatient') return;
  $('#ipt-read-card').onclick = () => act(() => identify({ method: 'card' }));
  $('#ipt-id').onclick = () => act(() => identify({ method: 'id', certno: $('#ipt-certno').value.trim() }));
  $('#ipt-ecert').onclick = () => act(() => identify({ method: 'ecert', code: $('#ipt-ecert-code').value.trim() }));
  $('#ipt-find').onclick = () => act(async () => show(await api('POST', '/api/inpatient/find')));
  $('#ipt-admit').onclick = () => act(async () => {
    const dise = $('#ipt-dise').value.trim();
    show(await api('POST', '/api/inpatient/admit', { med_type: $('#ipt-med-type').value, ...(dise ? { dise_codg: dise } : {}) }));
  });
  $('#ipt-add').onclick = () => {
    const d = { hilist_code: $('#ipt-code').value.trim(), pric: Number($('#ipt-pric').value), cnt: Number($('#ipt-cnt').value || '1') };
    if (!d.hilist_code) return;
    draft.push(d);
    for (const id of ['#ipt-code', '#ipt-pric', '#ipt-cnt']) $(id).value = '';
    renderDraft();
  };
  $('#ipt-upload').onclick = () => act(async () => {
    show(await api('POST', '/api/inpatient/fees', { lines: draft }));
    draft = [];
    renderDraft();
  });
  $('#ipt-discharge').onclick = () => act(async () => show(await api('POST', '/api/inpatient/discharge')));
  $('#ipt-undischarge').onclick = () => act(async () => show(await api('POST', '/api/inpatient/discharge/cancel')));
  $('#ipt-unadmit').onclick = () => act(async () => show(await api('POST', '/api/inpatient/admission/cancel')));
  $('#ipt-trial').onclick = () => act(async () => show(await api('POST', '/api/inpatient/trial', { mid: $('#ipt-mid').checked, acct_used: $('#ipt-acct').checked })));
  $('#ipt-settle').onclick = () => act(async () => {
    const tender = document.querySelector('input[name=ipt-tender]:checked').value;
    const t = $('#ipt-tendered').value.trim();
    show(await api('POST', '/api/inpatient/settle', { tender, ...(tender === 'cash' ? { tendered: Number(t) } : {}) }));
    $('#ipt-tendered').value = '';
  });
  act(async () => show(await api('GET', '/api/inpatient')));
  act(async () => renderPatient(await api('GET', '/api/checkout')));
}

wire();
