// medpos cashier page: the outpatient visit's med_type and diagnosis. For 14 (门诊慢特病) the
// cashier picks one of the patient's filings (5301), whose disease becomes the diagnosis.

import { act, api, esc, setCheckout } from './app.js';

const $ = (sel) => document.querySelector(sel);
let filings = [];

async function loadFilings() {
  filings = await api('GET', '/api/checkout/filings');
  const sel = $('#filings');
  sel.innerHTML = filings.length
    ? filings.map((f, i) => `<option value="${i}">${esc(f.opsp_dise_code)} ${esc(f.opsp_dise_name ?? '')} (${esc(f.begndate)}–${esc(f.enddate ?? '')})</option>`).join('')
    : '<option value="">无备案 no filing</option>';
  sel.hidden = false;
  pick();
}

function pick() {
  const f = filings[Number($('#filings').value)];
  if (f) $('#dise-codg').value = f.opsp_dise_code;
}

function wire() {
  if (document.body.dataset.mode !== 'outpatient') return;
  $('#med-type').onchange = () => act(async () => {
    if ($('#med-type').value === '14') await loadFilings();
    else $('#filings').hidden = true;
  });
  $('#filings').onchange = pick;
  // a new checkout starts as general outpatient (11) with no diagnosis, as the server's does
  for (const id of ['#new-checkout', '#next-customer'])
    $(id).addEventListener('click', () => {
      $('#med-type').value = '11';
      $('#filings').hidden = true;
      $('#dise-codg').value = '';
      $('#diagnosis-info').textContent = '';
    });
  $('#set-diagnosis').onclick = () => act(async () => {
    const medType = $('#med-type').value;
    const code = $('#dise-codg').value.trim();
    const f = medType === '14' ? filings.find((x) => x.opsp_dise_code === code) : undefined;
    const view = await api('POST', '/api/checkout/diagnosis', { med_type: medType, ...(code ? { dise_codg: code } : {}), ...(f?.opsp_dise_name ? { dise_name: f.opsp_dise_name } : {}) });
    setCheckout(view);
    $('#diagnosis-info').textContent = `${view.med_type}${view.dise ? ` · ${view.dise.code} ${view.dise.name}` : ''}`;
  });
}

wire();
