// medpos cashier page: plain modern JavaScript, no build step, no network beyond this terminal.
// The server owns the checkout; this page renders what the API and the event stream say.

import { watchKeyboardWedge } from './wedge.js';
import { chartSvg, SUM_HEAD, sumsRow } from './day-view.js';
const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => [...document.querySelectorAll(sel)];
export const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const money = (v) => (v === null || v === undefined || v === '' ? '' : Number(v).toFixed(2));

let S = null; // the terminal's state: institution, cashier, devices, checkout, clock
let lastReceipt = null;

// --- API ------------------------------------------------------------------------------------

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({ err_code: 'bad_response', err_msg: `HTTP ${res.status}` }));
  if (!res.ok) {
    const err = new Error(data.err_msg || `HTTP ${res.status}`);
    err.code = data.err_code;
    throw err;
  }
  return data;
}

function banner(text, level = 'error') {
  const b = $('#banner');
  if (!text) {
    b.hidden = true;
    return;
  }
  b.hidden = false;
  b.className = `banner no-print ${level}`;
  b.textContent = text;
}

/** Runs an action; a refusal shows in the banner with its err_code. */
export async function act(fn) {
  try {
    banner('');
    return await fn();
  } catch (err) {
    banner(`${err.message}${err.code ? ` [${err.code}]` : ''}`);
    return undefined;
  }
}

// --- rendering ------------------------------------------------------------------------------

function renderHeader() {
  $('#clock').textContent = S.clock.now + (S.tester ? ' (测试时钟)' : '');
  const c = S.cashier;
  $('#signin-form').hidden = !!c;
  $('#signed-in').hidden = !c;
  if (c) {
    $('#cashier-name').textContent = c.opter_name;
    $('#cashier-no').textContent = c.opter_no;
    $('#sign-no').textContent = c.sign_no;
  }
  $('#pin-label').hidden = !S.policy.card_pin_required;
  if (!S.institution.designated) banner('本机构不是定点医药机构：平台将拒绝所有交易 (institution not designated)', 'warn');
}

const READER_TEXT = {
  'no service': '无读卡服务 no PC/SC service',
  'no reader': '未连接读卡器 no reader',
  'waiting for card': '请插卡 waiting for card',
  reading: '读卡中 reading',
  'card ready': '卡已插入 card in',
  error: '读卡错误 error',
};
const SCANNER_TEXT = {
  listening: '扫码枪已连接 listening',
  disconnected: '扫码枪已断开 disconnected',
  reconnecting: '扫码枪重连中 reconnecting',
  error: '扫码枪错误 error',
  closed: '已关闭 closed',
  opening: '打开中 opening',
  'not configured': '未配置扫码枪 (模拟扫码直入) no scanner: virtual scans go straight in',
};

function renderDevices() {
  const d = S.devices;
  const rows = d.readers.map(
    (r) => `<div class="dev" data-reader="${esc(r.id)}" data-status="${esc(r.status)}">
      <span class="dot ${r.status === 'card ready' || r.status === 'waiting for card' || r.status === 'reading' ? 'ok' : r.status === 'error' ? 'bad' : 'off'}"></span>
      <strong>${esc(r.label)}</strong> <span class="status">${esc(READER_TEXT[r.status] || r.status)}</span>
      <div class="muted small">${esc(r.name || '')} ${esc(r.message)}</div></div>`,
  );
  const s = d.scanner;
  rows.push(`<div class="dev" id="scanner-status" data-status="${esc(s.status)}">
    <span class="dot ${s.status === 'listening' ? 'ok' : s.configured ? 'bad' : 'off'}"></span>
    <strong>扫码枪 scanner</strong> <span class="status">${esc(SCANNER_TEXT[s.status] || s.status)}</span>
    <div class="muted small">${esc(s.path || '')} ${esc(s.detail && s.detail !== s.path ? s.detail : '')}</div></div>`);
  $('#devices').innerHTML = rows.join('');
  $('#v-wire').textContent = `模拟卡经 ${d.virtual.cardWire === 'vpcd' ? 'vpcd → pcscd (真实 PC/SC)' : '进程内读卡器 (in-process)'}；模拟扫码经 ${s.feed === 'pty' ? 'pty 串口 (socat)' : '直接送入扫码流程'}${d.virtual.inserted ? `；已插入 ${d.virtual.inserted}` : ''}`;
}

function eventLine(text, level = 'info') {
  const li = document.createElement('li');
  li.className = level;
  li.textContent = `${new Date().toLocaleTimeString('zh-CN', { hour12: false })} ${text}`;
  const ul = $('#events');
  ul.prepend(li);
  while (ul.children.length > 30) ul.lastChild.remove();
}

const VIA = { card: '社保卡', ecert: '医保电子凭证', id: '身份证号' };

function renderCheckout() {
  const co = S.checkout;
  const open = co && co.state === 'open';
  $('#checkout-state').textContent = !co ? '无结算单 no checkout' : co.state === 'open' ? `进行中 open · ${co.begntime.slice(11)}` : co.state === 'settled' ? '已结算 settled' : '已作废 void';
  $('#checkout-state').dataset.state = co ? co.state : 'none';
  for (const id of ['#read-card', '#ecert-submit', '#id-submit', '#presettle', '#void-checkout', '#register']) $(id).disabled = !open;
  const p = co && co.patient;
  if (!p) {
    $('#patient').innerHTML = open ? '<p class="waiting">等待识别：插卡读卡、扫电子凭证或输入身份证号 <span class="en">waiting for the patient</span></p>' : '';
  } else {
    const insu = p.insuinfo
      .map((i) => `<option value="${esc(i.insutype)}" ${i.insutype === co.insutype ? 'selected' : ''} ${i.active ? '' : 'class="inactive"'}>${esc(i.insutype)} ${esc(i.name)}${i.active ? '' : ' (停保)'}${i.insutype === '310' ? ` 余额 ${money(i.balc)}` : ''}</option>`)
      .join('');
    $('#patient').innerHTML = `<div class="who">
        <span class="name" id="patient-name">${esc(p.name)}</span>
        <span id="patient-certno">${esc(p.certno)}</span> ${esc(p.gend)} ${p.age ?? ''}岁
        <button type="button" id="reveal" class="link">核对身份 check</button>
        <span class="muted">凭 ${esc(VIA[p.via])} (${esc(p.cert_type)})</span>
        ${p.card_present === false ? '<span class="warn-pill" id="card-pulled">卡已拔出 card pulled</span>' : ''}
      </div>
      ${p.holder ? `<div class="holder" id="holder">家庭共济 · 持卡人 <strong>${esc(p.holder.name)}</strong> ${esc(p.holder.certno)} 的账户支付 <span class="en">mutual aid with the holder's card</span></div>` : ''}
      <label>险种 insutype <select id="insutype" ${open ? '' : 'disabled'}>${insu}</select></label>`;
    $('#reveal').onclick = () => act(async () => {
      const r = await api('GET', '/api/checkout/reveal');
      $('#patient-name').textContent = r.name;
      $('#patient-certno').textContent = r.certno;
    });
    const sel = $('#insutype');
    if (sel) sel.onchange = () => act(async () => setCheckout(await api('POST', '/api/checkout/insutype', { insutype: sel.value })));
  }
  $('#visit-info').textContent = co && co.visit ? `门诊号 ${co.visit.ipt_otp_no} · 就诊 ${co.visit.mdtrt_id}${co.visit.batch ? ` · 批次 ${co.visit.batch}` : ''}` : '';
  $('#register').disabled = !open || !p || !!(co && co.visit);

  const tbody = $('#lines tbody');
  tbody.innerHTML = (co ? co.lines : [])
    .map((l) => {
      const s = l.split;
      return `<tr data-no="${l.no}" class="lv-${esc(l.chrgitm_lv || 'none')}">
        <td>${l.no}</td>
        <td><div>${esc(l.name)}</div><div class="muted small">${esc(l.hilist_code)}${l.trace_code ? ` · 追溯码 <code class="trace">${esc(l.trace_code)}</code>` : ''}${l.lmt_used_flag === '1' ? ' · 限制使用' : ''}</div></td>
        <td class="lv">${esc(l.lv)}${l.selfpay_prop ? ` <span class="muted small">${Math.round(l.selfpay_prop * 100)}%</span>` : ''}</td>
        <td class="num">${money(l.cap)}</td>
        <td><input class="pric num ${l.pric === null ? 'need' : ''}" value="${l.pric === null ? '' : money(l.pric)}" size="7" ${open ? '' : 'disabled'}></td>
        <td><input class="cnt num" value="${l.cnt}" size="4" ${open && !l.trace_code ? '' : 'disabled'}></td>
        <td class="num amount">${money(l.amount)}</td>
        <td><input type="checkbox" class="appr" ${l.hosp_appr_flag === '1' ? 'checked' : ''} ${open && l.lmt_used_flag === '1' ? '' : 'disabled'} title="医院审批 hosp_appr_flag"></td>
        <td class="num fulamt">${s ? money(s.fulamt_ownpay_amt) : ''}</td>
        <td class="num overlmt">${s ? money(s.overlmt_amt) : ''}</td>
        <td class="num preselfpay">${s ? money(s.preselfpay_amt) : ''}</td>
        <td class="num inscp">${s ? money(s.inscp_scp_amt) : ''}</td>
        <td>${open ? '<button type="button" class="del link">删除</button>' : ''}</td></tr>`;
    })
    .join('');
  $('#lines-total').textContent = money(co ? co.total : 0);
  for (const tr of tbody.querySelectorAll('tr')) {
    const no = tr.dataset.no;
    const patch = (body) => act(async () => setCheckout(await api('PATCH', `/api/checkout/lines/${no}`, body)));
    tr.querySelector('.pric').onchange = (e) => patch({ pric: Number(e.target.value) });
    tr.querySelector('.cnt').onchange = (e) => patch({ cnt: Number(e.target.value) });
    tr.querySelector('.appr').onchange = (e) => patch({ hosp_appr_flag: e.target.checked ? '1' : '0' });
    const del = tr.querySelector('.del');
    if (del) del.onclick = () => act(async () => setCheckout(await api('DELETE', `/api/checkout/lines/${no}`)));
  }

  $('#acct-used').checked = co ? co.acct_used : true;
  const pre = co && co.pre;
  $('#pre').innerHTML = pre
    ? `<table class="totals">
        <tr><th>医疗费总额 medfee</th><td id="pre-medfee" class="num big">${money(pre.medfee_sumamt)}</td></tr>
        <tr><th>全自费 fulamt</th><td id="pre-fulamt" class="num">${money(pre.fulamt_ownpay_amt)}</td><th>超限价 overlmt</th><td id="pre-overlmt" class="num">${money(pre.overlmt_selfpay)}</td></tr>
        <tr><th>先行自付 first self-pay</th><td id="pre-preselfpay" class="num">${money(pre.preselfpay_amt)}</td><th>符合范围 in scope</th><td id="pre-inscp" class="num">${money(pre.inscp_scp_amt)}</td></tr>
        <tr><th>起付线 deductible</th><td id="pre-dedc" class="num">${money(pre.act_pay_dedc)}</td><th>报销比例 ratio</th><td class="num">${pre.pool_prop_selfpay ? `${Math.round(pre.pool_prop_selfpay * 100)}%` : '—'}</td></tr>
        <tr class="split"><th>统筹基金 fund</th><td id="pre-fund" class="num big">${money(pre.fund_pay_sumamt)}</td><th>个人账户 own account</th><td id="pre-acct" class="num big">${money(pre.own_acct_pay)}</td></tr>
        <tr class="split"><th>家庭共济 mutual aid</th><td id="pre-mulaid" class="num big">${money(pre.acct_mulaid_pay)}</td><th>现金 cash</th><td id="pre-cash" class="num big cash">${money(pre.psn_cash_pay)}</td></tr>
        <tr><th>账户余额 balance after</th><td id="pre-balc" class="num">${money(pre.balc)}</td></tr>
      </table>`
    : '';
  $('#pay').hidden = !(open && pre);
  $('#done').hidden = !(co && co.state === 'settled');
  if (co && co.state === 'settled') $('#done-setl-id').textContent = co.setl_id;
  updateChange();

  $('#notices').innerHTML = (co ? co.notices : [])
    .slice()
    .reverse()
    .map((n) => `<li class="${esc(n.level)}">${esc(n.at)} ${esc(n.text)}${n.err_code ? ` <code>[${esc(n.err_code)}]</code>` : ''}</li>`)
    .join('');
}

function tender() {
  return $$('input[name=tender]').find((r) => r.checked).value;
}

function updateChange() {
  const pre = S && S.checkout && S.checkout.pre;
  const cashTender = tender() === 'cash';
  $('#tendered-label').hidden = !cashTender;
  if (!pre) return;
  const due = Math.round(pre.psn_cash_pay * 100);
  const got = Math.round(Number($('#tendered').value || 0) * 100);
  $('#change').textContent = cashTender ? (got >= due ? ((got - due) / 100).toFixed(2) : '不足 short') : '0.00';
}

export function setCheckout(view) {
  S.checkout = view;
  renderCheckout();
}

function renderAll() {
  renderHeader();
  renderDevices();
  renderCheckout();
}

// --- receipt --------------------------------------------------------------------------------

const TENDERS = { cash: '现金', bank: '银行卡', mobile: '移动支付' };

function receiptHtml(r, reprint) {
  const lines = r.lines
    .map((l) => `<tr><td colspan="3">${esc(l.name)} <span class="lv">[${esc(l.lv)}]</span>${l.trace_code ? `<div class="trace">追溯码 ${esc(l.trace_code)}</div>` : ''}</td></tr>
      <tr><td class="num">${money(l.pric)}</td><td class="num">×${l.cnt}</td><td class="num">${money(l.amount)}</td></tr>`)
    .join('');
  return `<div class="r-head"><strong>${esc(r.institution.fixmedins_name)}</strong><div>${esc(r.institution.fixmedins_code)} · 终端 ${esc(r.terminal_id || '')}</div>
      <div class="r-title">医保结算单${r.kind === 'cancel' ? '（撤销）' : ''}${reprint ? ' <span id="rc-reprint">重打 REPRINT</span>' : ''}</div></div>
    <div>结算号 <span id="rc-setl-id">${esc(r.setl_id)}</span></div>
    <div>就诊号 ${esc(r.mdtrt_id)}</div>
    <div>时间 ${esc(r.setl_time)}</div>
    <div>收银员 ${esc(r.cashier || '')}</div>
    <div>参保人 ${esc(r.patient)} ${esc(r.certno)}</div>
    <div>${esc(r.insutype_name)}</div>
    ${r.cancelled_by ? `<div><strong>已撤销 cancelled by ${esc(r.cancelled_by)}</strong></div>` : ''}
    <table class="r-lines">${lines}</table>
    <table class="r-totals">
      <tr><th>医疗费总额</th><td id="rc-medfee">${money(r.medfee_sumamt)}</td></tr>
      <tr><th>全自费</th><td>${money(r.fulamt_ownpay_amt)}</td></tr>
      <tr><th>超限价自付</th><td>${money(r.overlmt_selfpay)}</td></tr>
      <tr><th>先行自付</th><td>${money(r.preselfpay_amt)}</td></tr>
      <tr><th>统筹基金支付</th><td id="rc-fund">${money(r.fund_pay_sumamt)}</td></tr>
      <tr><th>个人账户支付</th><td id="rc-acct">${money(r.own_acct_pay)}</td></tr>
      <tr><th>家庭共济支付</th><td id="rc-mulaid">${money(r.acct_mulaid_pay)}</td></tr>
      <tr><th>现金支付</th><td id="rc-cash">${money(r.psn_cash_pay)}</td></tr>
      ${r.tender ? `<tr><th>收款方式</th><td id="rc-tender">${esc(TENDERS[r.tender])}</td></tr>` : ''}
      ${r.tender === 'cash' ? `<tr><th>实收</th><td id="rc-tendered">${money(r.tendered)}</td></tr><tr><th>找零</th><td id="rc-change">${money(r.change)}</td></tr>` : ''}
      <tr><th>账户余额</th><td id="rc-balc">${money(r.balc)}</td></tr>
    </table>
    <div class="r-foot">请妥善保管 · 谢谢惠顾</div>`;
}

async function showReceipt(setlId, { print = false, paper = '80' } = {}) {
  const r = await api('GET', `/api/receipts/${encodeURIComponent(setlId)}`);
  let printed = r.printed;
  if (print) printed = (await api('POST', `/api/receipts/${encodeURIComponent(setlId)}/print`)).printed;
  const el = $('#receipt');
  el.className = `receipt paper-${paper}`;
  el.innerHTML = receiptHtml(r, printed > 1);
  el.hidden = false;
  lastReceipt = r;
  $('#page-size').textContent = paper === 'a5' ? '@page { size: A5; margin: 10mm; }' : '@page { size: 80mm auto; margin: 3mm; }';
  document.body.dataset.paper = paper;
  if (print && !navigator.webdriver) window.print();
  return r;
}

// --- end of day -----------------------------------------------------------------------------

async function loadDay() {
  const date = $('#day-date').value || (S && S.clock.date);
  const d = await api('GET', `/api/day?date=${encodeURIComponent(date)}`);
  $('#day-groups').innerHTML = `<tr><th>险种</th><th>清算类别</th>${SUM_HEAD}</tr>` + d.groups.map((g) => sumsRow([`${g.insutype} ${g.insutype_name}`, `${g.clr_type} ${g.clr_name}`], g).replace('<tr>', `<tr data-group="${esc(g.insutype)}-${esc(g.clr_type)}">`)).join('');
  $('#day-tenders').innerHTML = `<tr><th>收款方式</th>${SUM_HEAD}</tr>` + d.tenders.map((g) => sumsRow([g.name], g).replace('<tr>', `<tr data-tender="${esc(g.tender)}">`)).join('');
  $('#day-cashiers').innerHTML = `<tr><th>收银员</th><th>结算/撤销</th>${SUM_HEAD}</tr>` + d.cashiers.map((g) => sumsRow([`${g.opter_name} (${g.opter_no})`, `${g.settlements}/${g.cancellations}`], g).replace('<tr>', `<tr data-cashier="${esc(g.opter_no)}">`)).join('');
  $('#day-chart').innerHTML = chartSvg(d.split);
  $('#day-records').innerHTML =
    '<tr><th>时间</th><th>结算号</th><th>类型</th><th>参保人</th><th>险种</th><th>医疗费</th><th>统筹</th><th>账户</th><th>现金</th><th>来源</th><th>收款</th><th></th></tr>' +
    d.records
      .map((r) => {
        const can = r.kind === 'settle' && r.in_force;
        const returnable = can && r.lines.length > 1;
        return `<tr data-setl-id="${esc(r.setl_id)}" data-kind="${esc(r.kind)}" class="${r.in_force ? '' : 'undone'}">
          <td>${esc(r.setl_time.slice(11))}</td><td><code>${esc(r.setl_id)}</code></td>
          <td>${r.kind === 'settle' ? (r.in_force ? '结算' : '结算(已撤销)') : r.kind === 'cancel' ? `撤销 ← ${esc(r.init_setl_id)}` : '冲正'}</td>
          <td>${esc(r.patient)}</td><td>${esc(r.insutype)}/${esc(r.clr_type)}</td>
          <td class="num">${money(r.medfee_sumamt)}</td><td class="num">${money(r.fund_pay_sumamt)}</td><td class="num">${money(r.acct_pay)}</td><td class="num">${money(r.psn_cash_pay)}</td>
          <td>${esc(r.source)}</td><td>${esc(r.tender ? TENDERS[r.tender] : '')}</td>
          <td class="actions">
            <button type="button" class="reprint link">重打</button>
            ${can ? '<button type="button" class="cancel link">撤销</button>' : ''}
            ${returnable ? '<button type="button" class="return link">部分退货</button>' : ''}
          </td></tr>
          ${returnable ? `<tr class="return-row" data-for="${esc(r.setl_id)}" hidden><td colspan="12">保留 keep: ${r.lines.map((l) => `<label><input type="checkbox" class="keep" value="${esc(l.feedetl_sn)}" checked> ${esc(l.name)} ${money(l.amount)}</label>`).join(' ')} <button type="button" class="do-return">退其余 return the rest</button></td></tr>` : ''}`;
      })
      .join('');
  for (const tr of $$('#day-records tr[data-setl-id]')) {
    const id = tr.dataset.setlId;
    tr.querySelector('.reprint').onclick = () => act(() => showReceipt(id, { print: true }));
    const c = tr.querySelector('.cancel');
    if (c)
      c.onclick = () =>
        act(async () => {
          if (!navigator.webdriver && !confirm(`撤销结算 ${id}？`)) return;
          const r = await api('POST', `/api/settlements/${encodeURIComponent(id)}/cancel`);
          banner(`已撤销，撤销结算号 ${r.setl_id}；退还现金部分 ${money(r.refund)}`, 'ok');
          await loadDay();
        });
    const ret = tr.querySelector('.return');
    if (ret) ret.onclick = () => (document.querySelector(`tr.return-row[data-for="${id}"]`).hidden = false);
  }
  for (const row of $$('#day-records tr.return-row')) {
    row.querySelector('.do-return').onclick = () =>
      act(async () => {
        const keep = [...row.querySelectorAll('.keep:checked')].map((c) => c.value);
        const r = await api('POST', `/api/settlements/${encodeURIComponent(row.dataset.for)}/return`, { keep });
        banner(`部分退货完成：撤销 ${r.cancel_setl_id}，新结算 ${r.setl_id}；退还 ${money(r.refund)}`, 'ok');
        await loadDay();
      });
  }
  return d;
}

// --- wiring ---------------------------------------------------------------------------------

function wire() {
  $('#signin-form').onsubmit = (e) => {
    e.preventDefault();
    act(async () => {
      S.cashier = await api('POST', '/api/signin', { opter_no: $('#opter-no').value.trim(), opter_name: $('#opter-name').value.trim() });
      renderHeader();
    });
  };
  $('#signout').onclick = () => act(async () => {
    await api('POST', '/api/signout');
    S.cashier = null;
    renderHeader();
  });
  for (const b of $$('.tab'))
    b.onclick = () => {
      for (const t of $$('.tab')) t.classList.toggle('active', t === b);
      for (const sec of $$('.tab-body')) sec.hidden = sec.id !== `tab-${b.dataset.tab}`;
      if (b.dataset.tab === 'day') act(loadDay);
    };
  const fresh = () => act(async () => {
    $('#receipt').hidden = true;
    for (const id of ['#tendered', '#pin', '#relative-certno', '#id-certno', '#ecert-code', '#catalog-q']) $(id).value = '';
    $('#catalog-results').innerHTML = '';
    setCheckout(await api('POST', '/api/checkout'));
  });
  $('#new-checkout').onclick = fresh;
  $('#next-customer').onclick = fresh;
  $('#void-checkout').onclick = () => act(async () => setCheckout(await api('POST', '/api/checkout/void')));
  $('#read-card').onclick = () => act(async () => {
    $('#read-card').disabled = true;
    try {
      const body = { method: 'card' };
      const pin = $('#pin').value.trim();
      const rel = $('#relative-certno').value.trim();
      if (pin) body.pin = pin;
      if (rel) body.relative_certno = rel;
      setCheckout(await api('POST', '/api/checkout/identify', body));
      $('#pin').value = '';
    } finally {
      $('#read-card').disabled = !(S.checkout && S.checkout.state === 'open');
    }
  });
  $('#id-submit').onclick = () => act(async () => setCheckout(await api('POST', '/api/checkout/identify', { method: 'id', certno: $('#id-certno').value.trim() })));
  $('#ecert-submit').onclick = () => act(async () => setCheckout(await api('POST', '/api/checkout/identify', { method: 'ecert', code: $('#ecert-code').value.trim() })));
  $('#register').onclick = () => act(async () => setCheckout(await api('POST', '/api/checkout/register')));

  let searchTimer;
  $('#catalog-q').oninput = () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => act(searchCatalog), 150);
  };
  $('#presettle').onclick = () => act(async () => setCheckout(await api('POST', '/api/checkout/presettle', { acct_used: $('#acct-used').checked })));
  $('#acct-used').onchange = () => {
    if (S.checkout && S.checkout.pre) $('#presettle').click();
  };
  for (const r of $$('input[name=tender]')) r.onchange = updateChange;
  $('#tendered').oninput = updateChange;
  $('#confirm').onclick = () => act(async () => {
    const body = { tender: tender() };
    if (body.tender === 'cash') body.tendered = Number($('#tendered').value || 0);
    setCheckout(await api('POST', '/api/checkout/settle', body));
    await showReceipt(S.checkout.setl_id);
  });
  $('#print-80').onclick = () => act(() => showReceipt(S.checkout.setl_id, { print: true, paper: '80' }));
  $('#print-a5').onclick = () => act(() => showReceipt(S.checkout.setl_id, { print: true, paper: 'a5' }));
  $('#day-refresh').onclick = () => act(loadDay);
  $('#day-check').onclick = () => act(async () => {
    const res = await api('POST', `/api/day/check?date=${encodeURIComponent($('#day-date').value || S.clock.date)}`);
    $('#day-check-result').innerHTML = res.length
      ? `<ul class="check">${res.map((c) => `<li data-check="${esc(c.insutype)}-${esc(c.clr_type)}" class="${c.stmt_rslt === '0' ? 'ok' : 'error'}">${esc(c.insutype)}/${esc(c.clr_type)}: ${c.stmt_rslt === '0' ? '平 balanced' : '不平 not balanced'} — ${esc(c.stmt_rslt_dscr)}</li>`).join('')}</ul>`
      : '<p class="muted">当日无本终端记录 (no records today)</p>';
  });

  // virtual devices
  $('#v-insert').onclick = () => act(async () => (S.devices = await api('POST', '/api/virtual/card', { card_no: $('#v-card').value })) && renderDevices());
  $('#v-remove').onclick = () => act(async () => (S.devices = await api('POST', '/api/virtual/card/remove')) && renderDevices());
  $('#v-ecert').onclick = () => act(() => api('POST', '/api/virtual/ecert', { psn_no: $('#v-person').value, age_s: Number($('#v-age').value || 0) }));
  $('#v-scan-item').onclick = () => act(() => {
    const b = $('#v-item').value;
    // A trace-code prefix becomes a whole 20-digit code, different for every package.
    const text = b.length === 13 ? b : b + Array.from({ length: 20 - b.length }, () => Math.floor(Math.random() * 10)).join('');
    return api('POST', '/api/virtual/scan', { text });
  });
  $('#v-scan').onclick = () => act(() => api('POST', '/api/virtual/scan', { text: $('#v-scan-text').value }));
  for (const b of $$('[data-advance]')) b.onclick = () => act(async () => (S.clock = await api('POST', '/api/tester/clock', { advance_s: Number(b.dataset.advance) })) && renderHeader());
  $('#t-next-year').onclick = () => act(async () => {
    const y = Number(S.clock.date.slice(0, 4)) + 1;
    S.clock = await api('POST', '/api/tester/clock', { set: `${y}-01-02T09:00:00+08:00` });
    renderHeader();
  });
  $('#t-set-btn').onclick = () => act(async () => (S.clock = await api('POST', '/api/tester/clock', { set: $('#t-set').value.trim() })) && renderHeader());
}

async function searchCatalog() {
  const q = $('#catalog-q').value.trim();
  const box = $('#catalog-results');
  if (!q) {
    box.innerHTML = '';
    return;
  }
  const rows = await api('GET', `/api/catalog?q=${encodeURIComponent(q)}`);
  box.innerHTML = rows.length
    ? rows
        .map((r) => `<div class="result" data-code="${esc(r.hilist_code)}"><span class="lv">${esc(r.lv)}</span> ${esc(r.hilist_name)} <code>${esc(r.hilist_code)}</code>${r.valid ? '' : ' <span class="warn-pill">不在有效期</span>'}${r.cap !== null ? ` 限价 ${money(r.cap)}` : ''}
          <input class="r-pric" size="6" placeholder="单价" value="${r.last_pric === null ? '' : money(r.last_pric)}"> <button type="button" class="add">加入 Add</button></div>`)
        .join('')
    : '<div class="muted">目录中没有匹配项 (no match)</div>';
  for (const row of box.querySelectorAll('.result')) {
    row.querySelector('.add').onclick = () => act(async () => {
      const body = { hilist_code: row.dataset.code };
      const p = row.querySelector('.r-pric').value.trim();
      if (p) body.pric = Number(p);
      setCheckout(await api('POST', '/api/checkout/lines', body));
    });
  }
}

async function loadFixtures() {
  const f = await api('GET', '/api/virtual');
  $('#v-card').innerHTML = f.cards.map((c) => `<option value="${esc(c.card_no)}">${esc(c.card_no)} ${esc(c.owner)} ${esc(c.spec_ver)}${c.status !== 'active' ? ` ${esc(c.status)}` : ''}${c.chip ? ' ⚠' : ''}</option>`).join('');
  $('#v-person').innerHTML = f.persons.map((p) => `<option value="${esc(p.psn_no)}">${esc(p.name)} …${esc(p.psn_no.slice(-4))} ${esc(p.insutype)}</option>`).join('');
  $('#v-item').innerHTML = f.items.flatMap((i) => i.barcodes.map((b) => `<option value="${esc(b)}">${esc(i.name)} ${esc(b.length === 13 ? b : `追溯码 ${b}…`)}</option>`)).join('');
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('state', (e) => {
    S = JSON.parse(e.data);
    renderAll();
    if (!$('#day-date').value) $('#day-date').value = S.clock.date;
    document.body.dataset.ready = '1';
  });
  es.addEventListener('devices', (e) => {
    S.devices = JSON.parse(e.data);
    renderDevices();
  });
  es.addEventListener('card', (e) => {
    const c = JSON.parse(e.data);
    eventLine(`${c.reader === 'pcsc' ? 'PC/SC' : '模拟'}读卡器：${c.type === 'inserted' ? '插入卡' : '卡已拔出'} #${c.cardSeq}`, c.type === 'inserted' ? 'info' : 'warn');
  });
  es.addEventListener('scan', (e) => {
    const s = JSON.parse(e.data);
    eventLine(`扫码 ${s.kind} ${s.text}：${s.outcome}`, s.level);
  });
  es.addEventListener('checkout', (e) => setCheckout(JSON.parse(e.data)));
  es.addEventListener('cashier', (e) => {
    S.cashier = JSON.parse(e.data);
    renderHeader();
  });
  es.addEventListener('clock', (e) => {
    S.clock = JSON.parse(e.data);
    renderHeader();
  });
  es.addEventListener('sale', () => {
    if (!$('#tab-day').hidden) act(loadDay);
  });
  es.onerror = () => eventLine('与终端的连接中断，正在重连… (reconnecting)', 'warn');
}

wire();
connect();
// A keyboard-wedge scan goes where a serial scanner's line goes: the terminal routes it (and its
// stale-scan guard drops it when no checkout is waiting).
watchKeyboardWedge((text) => act(() => api('POST', '/api/scanner/keyboard', { text })));
// virtual devices exist only in tester mode (--tester): the body carries the class
if (document.body.classList.contains('tester')) act(loadFixtures);
