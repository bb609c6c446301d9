/**
 * The inpatient window's API (/api/inpatient/...): each body validated here, each operation under
 * the cashier lock, each answer the stay on screen (flows/inpatient.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decimal4, yuan as yuanSchema } from '../core/money.ts';
import * as inpatient from './flows/inpatient.ts';
import type { Terminal } from './terminal.ts';

type Parse = <T extends z.ZodType>(schema: T, value: unknown, where: string) => z.output<T>;

const price = yuanSchema.refine((v) => v > 0 && v <= 100_000_000, 'must be a positive price in yuan');
const count = decimal4.refine((v) => v > 0 && v <= 99_990_000, 'must be a positive count (at most four decimals)');
const sn = z.string().regex(/^[0-9A-Za-z_-]{1,30}$/, 'must be a fee line number');
const code = z.string().regex(/^[0-9A-Za-z._-]{1,50}$/, 'must be a code');

const schemas = {
  admit: z.strictObject({ med_type: z.enum(['21', '22', '28'], { error: 'must be 21, 22 or 28' }), dise_codg: code.optional(), dise_name: z.string().trim().max(100).optional() }),
  fees: z.strictObject({ lines: z.array(z.strictObject({ hilist_code: code, pric: price, cnt: count }), { error: 'must be a list of lines' }).min(1, 'must have a line').max(1000, 'at most 1000 lines') }),
  refund: z.strictObject({ feedetl_sn: sn, cnt: count }),
  withdraw: z.strictObject({ feedetl_sn: sn }),
  trial: z.strictObject({ mid: z.boolean({ error: 'must be true or false' }), acct_used: z.boolean({ error: 'must be true or false' }) }),
  settle: z.strictObject({ tender: z.enum(['cash', 'bank', 'mobile'], { error: 'must be cash, bank or mobile' }), tendered: yuanSchema.refine((v) => v >= 0 && v <= 100_000_000, 'must be an amount in yuan').optional() }),
  setlId: z.strictObject({ setl_id: z.string().regex(/^[0-9A-Za-z]{1,40}$/, 'must be a settlement id') }),
};

export function inpatientRoutes(app: FastifyInstance, t: Terminal, parse: Parse): void {
  const run = (fn: () => Promise<unknown>) => t.exclusive(fn);
  app.get('/api/inpatient', async () => inpatient.view(t));
  app.post('/api/inpatient/find', async () => run(() => inpatient.findStay(t)));
  app.post('/api/inpatient/admit', async (req) => {
    const b = parse(schemas.admit, req.body, 'body');
    return run(() => inpatient.admit(t, b));
  });
  app.post('/api/inpatient/fees', async (req) => {
    const b = parse(schemas.fees, req.body, 'body');
    return run(() => inpatient.uploadFees(t, b.lines.map((l) => ({ hilist_code: l.hilist_code, pric: l.pric, cnt_e4: l.cnt }))));
  });
  app.post('/api/inpatient/refund', async (req) => {
    const b = parse(schemas.refund, req.body, 'body');
    return run(() => inpatient.refundFee(t, b.feedetl_sn, b.cnt));
  });
  app.post('/api/inpatient/withdraw', async (req) => {
    const b = parse(schemas.withdraw, req.body, 'body');
    return run(() => inpatient.withdrawFee(t, b.feedetl_sn));
  });
  app.post('/api/inpatient/discharge', async () => run(() => inpatient.discharge(t)));
  app.post('/api/inpatient/discharge/cancel', async () => run(() => inpatient.cancelDischarge(t)));
  app.post('/api/inpatient/admission/cancel', async () => run(() => inpatient.cancelAdmission(t)));
  app.post('/api/inpatient/trial', async (req) => {
    const b = parse(schemas.trial, req.body, 'body');
    return run(() => inpatient.trial(t, b));
  });
  app.post('/api/inpatient/settle', async (req) => {
    const b = parse(schemas.settle, req.body, 'body');
    return run(() => inpatient.settle(t, b));
  });
  app.post('/api/inpatient/settlements/:setl_id/cancel', async (req) => {
    const b = parse(schemas.setlId, req.params, 'path');
    return run(() => inpatient.cancelSettlement(t, b.setl_id));
  });
  app.get('/api/inpatient/statements/:setl_id', async (req) => inpatient.statement(t, parse(schemas.setlId, req.params, 'path').setl_id));
}
