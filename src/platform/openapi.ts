/**
 * `GET /openapi.json`: an OpenAPI 3.1 description of the gateway, every transaction's input and
 * output included, built from the same zod schemas that validate requests (schemas.ts). A fastify
 * plugin, so that `medpos terminal` and `medpos serve` mount the same one:
 * `app.register(openapi, { basePath })`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestEnvelope } from './envelope.ts';
import { CALL_SERVICE_PATH } from './gateway.ts';
import { inputJsonSchema, outputJsonSchema, transactionList, type JsonSchema } from './schemas.ts';

export interface OpenApiOptions {
  /** A base path answered beside the national one (`--base-path`). */
  basePath?: string | undefined;
  /** The document's info.version (default: the package's). */
  version?: string;
}

/** A component schema: the JSON Schema without its own `$schema` (the document's dialect applies). */
function component(s: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = s;
  return rest;
}

function envelopeSchema(infno: string | undefined, input: JsonSchema): JsonSchema {
  // `input` is z.custom in the envelope (each transaction checks its own): described here per transaction
  const env = z.toJSONSchema(requestEnvelope, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema & { properties: Record<string, JsonSchema> };
  const properties = { ...env.properties, input, ...(infno ? { infno: { type: 'string', const: infno } } : {}) };
  return { ...component(env), properties };
}

const RESPONSE_ENVELOPE = {
  type: 'object',
  description: 'infcode 0 with output, or -1 with err_code and err_msg (a refusal wrote nothing)',
  properties: {
    infcode: { enum: [0, -1] },
    inf_refmsgid: { type: 'string' },
    refmsg_time: { type: 'string' },
    respond_time: { type: 'string' },
    err_msg: { type: ['string', 'null'] },
    err_code: { type: 'string' },
    output: {},
    signtype: { type: ['string', 'null'] },
    cainfo: { type: ['string', 'null'] },
  },
  required: ['infcode', 'inf_refmsgid', 'refmsg_time', 'respond_time', 'err_msg', 'output', 'signtype', 'cainfo'],
};

/** The whole document, for the national path and a `--base-path`. */
export function openApiDocument(opts: OpenApiOptions = {}): JsonSchema {
  const schemas: Record<string, JsonSchema> = { ResponseEnvelope: RESPONSE_ENVELOPE };
  const paths: Record<string, unknown> = {};
  const bases = [CALL_SERVICE_PATH, ...(opts.basePath && opts.basePath !== CALL_SERVICE_PATH ? [opts.basePath] : [])];
  const list = transactionList();
  for (const { infno, input } of list) {
    schemas[`input_${infno}`] = component(inputJsonSchema(infno as never));
    schemas[`output_${infno}`] = component(outputJsonSchema(infno));
    schemas[`request_${infno}`] = envelopeSchema(infno, { $ref: `#/components/schemas/input_${infno}` });
    const answer = {
      allOf: [{ $ref: '#/components/schemas/ResponseEnvelope' }],
      if: { properties: { infcode: { const: 0 } } },
      then: { properties: { output: { $ref: `#/components/schemas/output_${infno}` } } },
    };
    for (const base of bases) {
      paths[`${base}/${infno}`] = {
        post: {
          operationId: `call_${infno}${base === CALL_SERVICE_PATH ? '' : '_base'}`,
          summary: `transaction ${infno}${input === infno ? '' : ` (input as ${input})`}`,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/request_${infno}` } } } },
          responses: { '200': { description: 'the response envelope', content: { 'application/json': { schema: answer } } }, '401': { description: 'a missing or bad signature (with --auth)' } },
        },
      };
    }
  }
  for (const base of bases) {
    paths[base] = {
      post: {
        operationId: base === CALL_SERVICE_PATH ? 'callService' : 'callService_base',
        summary: 'any transaction, named by envelope.infno',
        requestBody: { required: true, content: { 'application/json': { schema: { oneOf: list.map((t) => ({ $ref: `#/components/schemas/request_${t.infno}` })) } } } },
        responses: { '200': { description: 'the response envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/ResponseEnvelope' } } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'medpos: the simulated national platform’s transaction interface', version: opts.version ?? '0.1.0' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: { schemas },
  };
}

/** Registers `GET /openapi.json` (built on first request, then kept). */
export async function openapi(scope: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  let body: string | undefined;
  scope.get('/openapi.json', async (_req, reply) => {
    body ??= JSON.stringify(openApiDocument(opts));
    return reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(body);
  });
}
