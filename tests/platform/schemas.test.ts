/**
 * The JSON Schemas `medpos schema` and `/openapi.json` publish agree with the zod validators: every
 * input the shipped scenarios send, and mangled copies of them, get the same verdict from both; every
 * answer the scenarios get fits the published output schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { inputs, wireSchema } from '../../src/platform/inputs.ts';
import { Platform } from '../../src/platform/platform.ts';
import { inputJsonSchema, outputJsonSchema, transactionList } from '../../src/platform/schemas.ts';
import { INPUT_OF } from '../../src/platform/transactions.ts';
import { openApiDocument } from '../../src/platform/openapi.ts';
import { OUTPUTS } from '../../src/platform/output-schemas.ts';
import { runScenario, scenarioFiles, scenarioSchema } from '../../src/replay/replay.ts';
import { mutate, scenarioInputs } from '../fuzz/hostile.ts';

// multipleOfPrecision: 0.29 is a multiple of 0.01 as the decimal it is written as, not as its binary float
const ajv = new Ajv2020.default({ strict: false, multipleOfPrecision: 9, allErrors: false });
const validators = new Map(transactionList().map((t) => [t.infno, ajv.compile(inputJsonSchema(t.infno as never))]));

/** Same verdict from the JSON Schema and from zod, on the value as it travels (JSON). */
function verdicts(infno: string, value: unknown): { json: boolean; zod: boolean; wire: unknown; why: string } {
  const wire = JSON.parse(JSON.stringify(value ?? null)) as unknown;
  const validate = validators.get(infno)!;
  const json = validate(wire);
  const z = wireSchema(INPUT_OF[infno as keyof typeof INPUT_OF]).safeParse(structuredClone(wire));
  const why = `JSON Schema: ${json ? 'accepted' : ajv.errorsText(validate.errors)}; zod: ${z.success ? 'accepted' : z.error.issues[0]?.message}`;
  return { json, zod: z.success, wire, why };
}

// ec.query and the deliberately unknown 9999 of the scenarios have no input schema
const sent = scenarioInputs().filter((s) => Object.hasOwn(INPUT_OF, s.infno));

describe('the published schemas', () => {
  it('cover every transaction of the registry, and every input schema', () => {
    expect(transactionList().map((t) => t.infno).sort()).toEqual(Object.keys(INPUT_OF).sort());
    for (const key of Object.keys(inputs)) expect(Object.values(INPUT_OF)).toContain(key);
    // a transaction without an entry would be published as a bare object
    expect(Object.keys(OUTPUTS).sort()).toEqual(Object.keys(INPUT_OF).sort());
    const doc = openApiDocument() as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    for (const { infno } of transactionList()) {
      expect(doc.paths).toHaveProperty([`/fsi/api/rsfComIfsService/callService/${infno}`]);
      expect(doc.components.schemas).toHaveProperty(`input_${infno}`);
      expect(doc.components.schemas).toHaveProperty(`output_${infno}`);
    }
  });

  it('give zod’s verdict on every input the shipped scenarios send (a few are sent to be refused)', () => {
    expect(sent.length).toBeGreaterThan(20);
    let accepted = 0;
    for (const s of sent) {
      const v = verdicts(s.infno, s.input);
      if (v.json !== v.zod) throw new Error(`${s.infno}: ${v.why} for ${JSON.stringify(v.wire).slice(0, 400)}`);
      if (v.zod) accepted++;
    }
    expect(accepted).toBeGreaterThan(sent.length * 0.9);
  });

  it('give zod’s verdict on mangled inputs', () => {
    const values = fc.oneof(
      fc.anything(),
      fc.double(),
      fc.integer(),
      fc.string(),
      fc.constantFrom('', '-1', '-0', '0.001', '12.5', '12.50', '12.500', '1e3', ' 2', '-5.00', '100000000000', '99999999999.99', '1000', '1001', '0', '1.0', '2026-11-20', '2026-11-20T09:00:00', 'x'),
      fc.constantFrom(-1, -0.5, 0.001, 0.29, 1e11, 1e11 + 1, 1000, 1001, 1e9, 1e9 + 1, 12.345),
    );
    fc.assert(
      fc.property(fc.constantFrom(...sent), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), values, fc.boolean(), (s, path, value, drop) => {
        const v = verdicts(s.infno, mutate(s.input, path, value, drop));
        if (v.json !== v.zod) throw new Error(`${s.infno}: ${v.why} for ${JSON.stringify(v.wire).slice(0, 400)}`);
      }),
      { numRuns: 3000 },
    );
  });

  describe('outputs', () => {
    const call = vi.spyOn(Platform.prototype, 'call');
    afterAll(() => call.mockRestore());

    it('fit every answer the shipped scenarios get', async () => {
      const dir = join(process.cwd(), 'fixtures/scenarios');
      for (const file of scenarioFiles(dir)) {
        const scenario = scenarioSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
        await runScenario(scenario, dir, () => {});
      }
      const checkers = new Map<string, ReturnType<typeof ajv.compile>>();
      const firstAnswer = new Map<string, unknown>();
      let checked = 0;
      for (const r of call.mock.results) {
        const res = (await r.value) as { infcode: number; output: unknown };
        const req = call.mock.calls[call.mock.results.indexOf(r)]![0] as { infno?: string };
        if (res.infcode !== 0 || !req.infno || !(req.infno in INPUT_OF)) continue;
        let check = checkers.get(req.infno);
        if (!check) checkers.set(req.infno, (check = ajv.compile(outputJsonSchema(req.infno))));
        if (!check(res.output)) throw new Error(`${req.infno} answer does not fit its output schema: ${ajv.errorsText(check.errors)}`);
        if (!firstAnswer.has(req.infno)) firstAnswer.set(req.infno, res.output);
        checked++;
      }
      expect(checked).toBeGreaterThan(20);
      // every transaction of the registry answered successfully at least once in the scenarios
      expect([...firstAnswer.keys()].sort()).toEqual(Object.keys(INPUT_OF).sort());
      // and the schemas are not vacuous: an answer missing any field the schema lists as required is refused
      let dropped = 0;
      for (const [infno, output] of firstAnswer) {
        const check = checkers.get(infno)!;
        for (const path of requiredPaths(outputJsonSchema(infno), output)) {
          const copy = structuredClone(output);
          const parent = path.slice(0, -1).reduce<any>((v, k) => v[k], copy); // eslint-disable-line @typescript-eslint/no-explicit-any
          delete parent[path.at(-1)!];
          if (check(copy)) throw new Error(`${infno} output schema accepts the answer without ${path.join('.')}`);
          dropped++;
        }
      }
      expect(dropped).toBeGreaterThan(500);
    });
  });
});

type JsonSchemaNode = { type?: string; properties?: Record<string, JsonSchemaNode>; required?: string[]; items?: JsonSchemaNode };

/** The paths of every required key the answer has, through objects and the first row of each list. */
function requiredPaths(schema: JsonSchemaNode, value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (schema.type === 'array' && Array.isArray(value) && value.length > 0 && schema.items) return requiredPaths(schema.items, value[0], [...at, 0]);
  if (schema.type !== 'object' || typeof value !== 'object' || value === null) return [];
  const v = value as Record<string, unknown>;
  return (schema.required ?? []).filter((k) => Object.hasOwn(v, k)).flatMap((k) => [[...at, k], ...requiredPaths(schema.properties?.[k] ?? {}, v[k], [...at, k])]);
}
