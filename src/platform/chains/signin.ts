/** Signing in (9001): the sign_no later calls carry. */
import { tx, type Chain } from './shared.ts';

export const SIGNIN = {
  '9001': tx('9001', async (ctx, input) => {
    const t = ctx.stamp;
    const sign_no = `${t.compact}${String(await ctx.ledger.nextSeq('sign_no')).padStart(6, '0')}`;
    await ctx.ledger.recordSignIn({ sign_no, fixmedins_code: ctx.institution.fixmedins_code, opter_no: input.signIn.opter_no, at: t.time, msgid: ctx.msgid });
    return { signinoutb: { sign_time: t.time, sign_no } };
  }),
} satisfies Chain;
