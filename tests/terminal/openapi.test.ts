/** `GET /openapi.json` on `medpos terminal`: the gateway with every transaction's input and output. */
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { INPUT_OF } from '../../src/platform/transactions.ts';
import { killAll, startTerminal } from './helpers.ts';

afterAll(() => killAll());

describe('terminal /openapi.json', { timeout: 60_000 }, () => {
  it('describes the gateway path and each transaction; its request schemas take a real envelope', async () => {
    const t = await startTerminal(['--terminal-id', 'OA01', '--base-path', '/his/call'], { MEDPOS_HW_VPCD: '' });
    try {
      const r = await fetch(`${t.url}openapi.json`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('application/json');
      const doc = (await r.json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, object> } };
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.paths).toHaveProperty(['/fsi/api/rsfComIfsService/callService']);
      expect(doc.paths).toHaveProperty(['/his/call/2207']);
      for (const infno of Object.keys(INPUT_OF)) expect(doc.components.schemas).toHaveProperty(`output_${infno}`);
      const ajv = new Ajv2020.default({ strict: false, multipleOfPrecision: 9 });
      for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
      const request = ajv.getSchema('#/components/schemas/request_9001')!;
      const env = { infno: '9001', msgid: 'P440300000012026112010000001', fixmedins_code: 'P44030000001', input: { signIn: { opter_no: 'C01' } } };
      expect(request(env), JSON.stringify(request.errors)).toBe(true);
      expect(request({ ...env, input: { signIn: {} } })).toBe(false);
      expect(request({ ...env, infno: '1101' })).toBe(false);
    } finally {
      await t.stop();
    }
  });
});
