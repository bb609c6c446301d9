/** Tester mode: what the virtual devices can present (cards, persons, barcodes) and an e-certificate shown to the scanner. */
import type { Clock } from '../../core/clock.ts';
import { maskName } from '../../core/mask.ts';
import { Refusal } from '../../core/settle.ts';
import { issueEcert } from '../../platform/ecert.ts';
import { TerminalError } from '../errors.ts';
import type { Terminal } from '../terminal.ts';

export async function showEcert(t: Terminal, psnNo: string, ageS = 0): Promise<{ via: 'pty' | 'direct' }> {
  // the e-certificate is issued with the platform's key, which only a terminal beside its ledger holds
  if (!t.ledger) throw new TerminalError('needs_local_platform', '远程结算的终端不能模拟电子凭证 (a terminal that settles remotely cannot issue e-certificates)', 409);
  if (!t.world.persons.has(psnNo)) throw new TerminalError('person_unknown', `没有参保人 ${psnNo}`, 404);
  let code: string;
  const at = t.clock.now();
  const issuingClock: Clock = { now: () => new Date(at.getTime() - ageS * 1000), offsetMinutes: t.clock.offsetMinutes };
  try {
    code = await issueEcert(t.ledger, issuingClock, psnNo);
  } catch (err) {
    if (err instanceof Refusal) throw new TerminalError(err.err_code, err.message);
    throw err;
  }
  return { via: await t.devices.typeScan(code) };
}

export function fixtures(t: Terminal): unknown {
  const w = t.world.data;
  return {
    cards: w.cards.map((c) => {
      const p = t.world.persons.get(c.psn_no);
      return { card_no: c.card_no, owner: p ? maskName(p.baseinfo.psn_name) : '?', spec_ver: c.spec_ver, status: c.status, expiry_date: c.expiry_date, chip: c.chip ? '芯片数据与平台不符' : null };
    }),
    persons: w.persons.map((p) => ({
      psn_no: p.baseinfo.psn_no,
      name: maskName(p.baseinfo.psn_name),
      insutype: p.insuinfo.map((i) => `${i.insutype}${i.psn_insu_stas === '1' ? '' : '(停)'}`).join('/'),
    })),
    items: w.catalog.filter((i) => (i.barcodes ?? []).length).map((i) => ({ hilist_code: i.hilist_code, name: i.hilist_name, barcodes: i.barcodes })),
  };
}
