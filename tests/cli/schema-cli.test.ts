/** `medpos schema`: the list of transactions, and a JSON Schema that accepts what zod accepts. */
import { spawnSync } from 'node:child_process';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { INPUT_OF } from '../../src/platform/transactions.ts';
import { wireSchema } from '../../src/platform/inputs.ts';
import { scenarioInputs } from '../fuzz/hostile.ts';

function medpos(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/medpos.js', ...args], { encoding: 'utf8', env: { ...process.env, MEDPOS_DB: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('medpos schema', () => {
  it('lists every transaction of the registry, one a line', () => {
    const r = medpos(['schema']);
    expect(r.code).toBe(0);
    const listed = r.stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    expect(listed.sort()).toEqual(Object.keys(INPUT_OF).sort());
    expect(r.stdout).toContain('2207\t(input of 2206)');
  });

  it('prints a draft 2020-12 schema of 2207 that accepts every shipped 2207 input and refuses what zod refuses', () => {
    const r = medpos(['schema', '2207']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const validate = new Ajv2020.default({ strict: false, multipleOfPrecision: 9 }).compile(schema);
    const sent = scenarioInputs().filter((s) => s.infno === '2207');
    expect(sent.length).toBeGreaterThan(0);
    for (const s of sent) expect(validate(s.input), JSON.stringify(validate.errors)).toBe(wireSchema('2206').safeParse(s.input).success);
    const data = (sent[0]!.input as { data: Record<string, unknown> }).data;
    for (const bad of [{ medfee_sumamt: '12.345' }, { medfee_sumamt: '-1' }, { acct_used_flag: '2' }, { mdtrt_id: '' }, { medfee_sumamt: 0.001 }]) {
      const input = { data: { ...data, ...bad } };
      expect(wireSchema('2206').safeParse(input).success, JSON.stringify(bad)).toBe(false);
      expect(validate(input), JSON.stringify(bad)).toBe(false);
    }
    expect(validate({ data: { ...data, medfee_sumamt: '12.50', card_sn: '' } })).toBe(true); // the wire variants
  });

  it('prints the output schema with --output, and refuses an unknown code with exit 2', () => {
    const out = medpos(['schema', '2207', '--output']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).properties).toHaveProperty('setlinfo');
    const bad = medpos(['schema', '9999']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('medpos schema');
  });
});
