// The end-of-day report's pieces that are pure: a sums row, its header, the payment-split chart.
import { esc, money } from './app.js';

export function sumsRow(cells, s) {
  return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}<td class="num count">${s.count}</td><td class="num medfee">${money(s.medfee_sumamt)}</td><td class="num fund">${money(s.fund_pay_sumamt)}</td><td class="num acct">${money(s.acct_pay)}</td><td class="num mulaid">${money(s.acct_mulaid_pay)}</td><td class="num cash">${money(s.psn_cash_pay)}</td></tr>`;
}
export const SUM_HEAD = '<th>笔数</th><th>医疗费</th><th>统筹</th><th>账户(含共济)</th><th>共济</th><th>现金</th>';

export function chartSvg(split) {
  const W = 560;
  const H = 200;
  const parts = [
    ['fund', '统筹基金 fund', '#2f6fb0', split.fund],
    ['acct', '个人账户 account', '#3a9a5b', split.acct],
    ['cash', '现金 cash', '#d08a1f', split.cash],
  ];
  const total = parts.reduce((s, p) => s + Math.max(0, p[3]), 0);
  let x = 10;
  const bar = parts
    .map(([k, , color, v]) => {
      const w = total > 0 ? (Math.max(0, v) / total) * (W - 20) : 0;
      const r = `<rect data-part="${k}" x="${x.toFixed(1)}" y="20" width="${w.toFixed(1)}" height="34" fill="${color}"><title>${money(v)}</title></rect>`;
      x += w;
      return r;
    })
    .join('');
  const legend = parts
    .map(([k, name, color, v], i) => `<g transform="translate(${10 + i * 185},78)"><rect width="12" height="12" fill="${color}"/><text x="18" y="11" font-size="12" data-legend="${k}">${esc(name)} ${money(v)}</text></g>`)
    .join('');
  const hours = split.hours;
  const max = Math.max(1, ...hours.map((h) => Math.max(0, h.fund) + Math.max(0, h.acct) + Math.max(0, h.cash)));
  const colW = hours.length ? Math.min(40, (W - 20) / hours.length - 6) : 0;
  const cols = hours
    .map((h, i) => {
      let y = H - 16;
      const cx = 10 + i * (colW + 6);
      return (
        parts
          .map(([k, , color]) => {
            const hgt = (Math.max(0, h[k]) / max) * 80;
            y -= hgt;
            return `<rect x="${cx}" y="${y.toFixed(1)}" width="${colW.toFixed(1)}" height="${hgt.toFixed(1)}" fill="${color}"/>`;
          })
          .join('') + `<text x="${cx}" y="${H - 3}" font-size="10">${esc(h.hour)}时</text>`
      );
    })
    .join('');
  return `<svg id="split-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="当日支付构成">
    <text x="10" y="14" font-size="12">合计 ${money(split.fund + split.acct + split.cash)}</text>${bar}${legend}${cols}</svg>`;
}
