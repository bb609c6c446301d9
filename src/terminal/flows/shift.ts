/** The shift: 9001 sign-in opens it (the platform's sign_no goes on every later envelope); sign-out closes it. */
import { log } from '../../log.ts';
import { TerminalError } from '../errors.ts';
import type { Cashier } from '../model.ts';
import type { Terminal } from '../terminal.ts';

export async function signIn(t: Terminal, opterNo: string, opterName: string): Promise<Cashier> {
  const out = await t.call('9001', { signIn: { opter_no: opterNo, mac: '00-00-00-00-00-00', ip: '127.0.0.1' } });
  const s = out.signinoutb as { sign_no: string; sign_time: string };
  t.cashier = { opter_no: opterNo, opter_name: opterName, sign_no: s.sign_no, sign_time: s.sign_time };
  log.info({ opter_no: opterNo, sign_no: s.sign_no }, 'cashier signed in');
  t.emit('cashier', t.cashier);
  return t.cashier;
}

export function signOut(t: Terminal): void {
  if (t.co?.state === 'open' && (t.co.patient || t.co.lines.length)) {
    throw new TerminalError('checkout_open', '请先完成或作废当前结算单 (finish or void the open checkout first)', 409);
  }
  t.cashier = null;
  t.emit('cashier', null);
}

export function requireCashier(t: Terminal): Cashier {
  if (!t.cashier) throw new TerminalError('not_signed_in', '请先签到 (sign in for the shift first: 9001)', 409);
  return t.cashier;
}
