/**
 * Requests a terminal sent and never saw answered, left in the till by a terminal that stopped (or
 * lost the platform) before the answer came. Each is sent again as it was, same msgid: the platform
 * applies it once, or answers the stored response; the till then records the sale (or the
 * cancellation) from the draft it kept. The open checkout's own settlement is left to the cashier.
 */
import { log } from '../../log.ts';
import type { RequestEnvelope } from '../../platform/envelope.ts';
import { TerminalError } from '../errors.ts';
import type { Setl } from '../model.ts';
import type { Terminal } from '../terminal.ts';
import { recordSale, settlePurpose } from './checkout.ts';

/** Resolves what it can; returns how many requests are still pending. */
export async function resolvePending(t: Terminal): Promise<number> {
  let left = 0;
  for (const p of t.store.allPending()) {
    if (t.co?.state === 'open' && p.purpose === settlePurpose(t.co)) {
      left += 1;
      continue;
    }
    if (!p.draft) {
      log.warn({ msgid: p.msgid }, 'a pending request has nothing to record: check the day with 3201');
      left += 1;
      continue;
    }
    try {
      const out = await t.send(p.envelope as RequestEnvelope, p.purpose);
      const record = await recordSale(t, p.draft, out.setlinfo as Setl, p.purpose);
      log.info({ setl_id: record.setl_id, msgid: p.msgid, kind: record.kind }, 'recorded a settlement whose answer had not come');
      t.emit('sale', { setl_id: record.setl_id, kind: record.kind });
    } catch (err) {
      if (err instanceof TerminalError && err.err_code === 'platform_unavailable') {
        left += 1;
        continue;
      }
      // the platform answered with a refusal: nothing was applied, and the row is gone
      log.warn({ msgid: p.msgid, err_code: (err as TerminalError).err_code }, 'a pending request was refused when sent again');
    }
  }
  return left;
}
