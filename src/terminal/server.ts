/**
 * `medpos terminal`: one local process that owns the devices, serves the cashier page, a small JSON
 * API for it with server-sent events, and the platform's transaction interface at the national
 * gateway's path, so hospital software integrates with no network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { initDatabase, openPlatform, UsageError } from '../app.ts';
import { isPostgresUrl } from '../ledger/open.ts';
import { clockFromEnv, FixedClock, localDate, type Clock } from '../core/clock.ts';
import { decimal4, yuan as yuanSchema } from '../core/money.ts';
import { loadWorld, WorldIndex, type Institution } from '../core/world.ts';
import type { Platform } from '../platform/platform.ts';
import { log } from '../log.ts';
import type { LedgerStore } from '../ledger/types.ts';
import { loadCredentials, type Credentials } from '../platform/auth.ts';
import { exposedBindProblem, isLoopbackHost, mountGateway } from '../platform/mount.ts';
import { describeZodError } from '../platform/envelope.ts';
import { checkBasePath } from '../platform/gateway.ts';
import { guardBrowserCalls, parseOrigins } from '../platform/browser-guard.ts';
import { checkDay, dayReport, receipt } from './flows/day.ts';
import { Devices } from './devices.ts';
import * as outpatient from './flows/outpatient.ts';
import { inpatientRoutes } from './inpatient-routes.ts';
import { errorBody, TerminalError } from './errors.ts';
import { readerService } from './reader-service.ts';
import { openTill, type TerminalStore } from './store.ts';
import { localPlatform, RemotePlatform } from './platform-client.ts';
import { Terminal } from './terminal.ts';

export { CALL_SERVICE_PATH } from '../platform/gateway.ts';
const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), 'public');

export const terminalOptions = z.strictObject({
  db: z.string().min(1, 'must name a file or a URL').default('medpos.db'),
  /** The platform's base URL (http://host:port): settle there, over HTTP, and keep no ledger here. */
  platform: z.url({ protocol: /^https?$/, error: 'must be the platform\'s http:// URL' }).optional(),
  /** The till's SQLite file (the terminal's own records); by default the --db file when that is SQLite. */
  till: z.string().min(1, 'must name a file').optional(),
  world: z.string().min(1).optional(),
  port: z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0).max(65535).default(8080),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  institution: z.string().regex(/^[0-9A-Za-z]{1,30}$/, 'must be an institution code (fixmedins_code)').optional(),
  reader: z.string().min(1).max(200).optional(),
  scanner: z.string().min(1).max(4096).optional(),
  scannerFeed: z.string().min(1).max(4096).optional(),
  terminalId: z.string().regex(/^[0-9A-Za-z_-]{1,30}$/, 'must be 1 to 30 letters, digits, - or _').default('T01'),
  tester: z.boolean().default(false),
  auth: z.string().min(1, 'must name a credentials file').optional(),
  insecure: z.boolean().default(false),
  basePath: z.string().superRefine((p, ctx) => {
    const problem = checkBasePath(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  allowOrigin: z.array(z.string().max(300)).max(100).default([]),
});
export type TerminalOptions = z.input<typeof terminalOptions>;

// --- API input schemas (every body and query is validated here) ---------------------------------

const certno = z.string().regex(/^[0-9A-Za-z]{1,30}$/, 'must be an ID number (letters and digits)');
const price = yuanSchema.refine((v) => v > 0 && v <= 100_000_000, 'must be a positive price in yuan');
const count = decimal4.refine((v) => v > 0 && v <= 99_990_000, 'must be a positive count (at most four decimals)');
const appr = z.enum(['0', '1'], { error: 'must be "0" or "1"' });

const schemas = {
  signin: z.strictObject({
    opter_no: z.string().regex(/^[0-9A-Za-z_-]{1,30}$/, 'must be 1 to 30 letters, digits, - or _'),
    opter_name: z.string().trim().min(1, 'must not be empty').max(50),
  }),
  identify: z.discriminatedUnion(
    'method',
    [
      z.strictObject({ method: z.literal('card'), pin: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional(), relative_certno: certno.optional() }),
      z.strictObject({ method: z.literal('id'), certno, psn_name: z.string().trim().min(1).max(50).optional() }),
      z.strictObject({ method: z.literal('ecert'), code: z.string().trim().min(1, 'must be the scanned code').max(4096) }),
    ],
    { error: 'method must be card, id or ecert' },
  ),
  insutype: z.strictObject({ insutype: z.string().regex(/^\d{3}$/, 'must be a 3-digit insutype') }),
  line: z.strictObject({
    hilist_code: z.string().regex(/^[0-9A-Za-z._-]{1,50}$/, 'must be a catalog code'),
    pric: price.optional(),
    cnt: count.optional(),
    hosp_appr_flag: appr.optional(),
    trace_code: z.string().regex(/^\d{20}$/, 'must be a 20-digit trace code').optional(),
  }),
  linePatch: z.strictObject({ pric: price.optional(), cnt: count.optional(), hosp_appr_flag: appr.optional() }),
  lineNo: z.strictObject({ no: z.coerce.number().int().min(1).max(100_000) }),
  diagnosis: z.strictObject({
    med_type: z.enum(['11', '14'], { error: 'must be 11 or 14' }),
    dise_codg: z.string().regex(/^[0-9A-Za-z.+-]{1,30}$/, 'must be a disease code').optional(),
    dise_name: z.string().trim().min(1).max(100).optional(),
  }),
  presettle: z.strictObject({ acct_used: z.boolean({ error: 'must be true or false' }) }),
  settle: z.strictObject({ tender: z.enum(['cash', 'bank', 'mobile'], { error: 'must be cash, bank or mobile' }), tendered: yuanSchema.refine((v) => v >= 0 && v <= 100_000_000, 'must be an amount in yuan').optional() }),
  setlId: z.strictObject({ setl_id: z.string().regex(/^[0-9A-Za-z]{1,40}$/, 'must be a setl_id') }),
  partialReturn: z.strictObject({ keep: z.array(z.string().regex(/^[0-9A-Za-z-]{1,30}$/)).min(1, 'keep at least one line').max(200) }),
  day: z.strictObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be yyyy-MM-dd').optional() }),
  catalog: z.strictObject({ q: z.string().max(50).default('') }),
  clock: z
    .strictObject({ set: z.string().max(40).optional(), advance_s: z.number().int().min(-315_360_000).max(315_360_000).optional() })
    .refine((v) => v.set !== undefined || v.advance_s !== undefined, 'give set (ISO time) or advance_s (seconds)'),
  card: z.strictObject({ card_no: z.string().regex(/^[0-9A-Za-z]{9}$/, 'must be a 9-character card number') }),
  ecert: z.strictObject({ psn_no: z.string().regex(/^[0-9A-Za-z]{1,30}$/), age_s: z.number().int().min(0).max(86_400).optional() }),
  scan: z.strictObject({ text: z.string().regex(/^[\x20-\x7e]{1,256}$/, 'must be 1 to 256 printable ASCII characters') }),
};

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new TerminalError('invalid_input', describeZodError(r.error, where));
  return r.data;
}

// --- the page ----------------------------------------------------------------------------------

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(inst: Institution, terminalId: string, tester: boolean): string {
  return readFileSync(join(PUBLIC, 'index.html'), 'utf8')
    .replaceAll('{{FIXMEDINS_CODE}}', escapeHtml(inst.fixmedins_code))
    .replaceAll('{{FIXMEDINS_NAME}}', escapeHtml(inst.fixmedins_name))
    .replaceAll('{{TERMINAL_ID}}', escapeHtml(terminalId))
    .replaceAll('{{MODE}}', inst.fixmedins_type === 'pharmacy' ? 'pharmacy' : 'outpatient')
    .replaceAll('{{MODE_NAME}}', inst.fixmedins_type === 'pharmacy' ? '药店收银' : '门诊收费')
    .replaceAll('{{TESTER}}', tester ? 'tester' : '');
}

export interface RunningTerminal {
  url: string;
  terminal: Terminal;
  app: FastifyInstance;
  close(): Promise<void>;
}

function nowIsoCst(): string {
  return `${new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

export async function startTerminal(input: TerminalOptions): Promise<RunningTerminal> {
  const r = terminalOptions.safeParse(input);
  if (!r.success) throw new UsageError(describeZodError(r.error, 'option'));
  const opts = r.data;
  const origins = parseOrigins(opts.allowOrigin);
  if (origins.problem) throw new UsageError(origins.problem);
  if (opts.tester && !isLoopbackHost(opts.host)) throw new UsageError(`--tester moves the clock and drives virtual devices: it listens on loopback only, not ${opts.host}`);
  const exposed = exposedBindProblem(opts.host, opts.auth, opts.insecure);
  if (exposed) throw new UsageError(exposed);
  const credentials = opts.auth ? loadCredentials(opts.auth) : undefined;
  const clock: Clock = opts.tester ? new FixedClock(process.env.MEDPOS_NOW ?? nowIsoCst()) : clockFromEnv();
  const local = opts.platform ? undefined : await openLocal(opts, clock);
  let devices: Devices | undefined;
  let till: TerminalStore | undefined;
  const closeLedger = async () => {
    await local?.close();
  };
  try {
    const world = local ? local.ledger.world() : remoteWorld(opts);
    const insts = world.data.world.institutions;
    const inst = opts.institution
      ? world.institutions.get(opts.institution)
      : (insts.find((i) => i.designated && i.fixmedins_type === 'pharmacy') ?? insts.find((i) => i.designated) ?? insts[0]);
    if (!inst) throw new UsageError(`institution ${opts.institution} is not in the world (known: ${insts.map((i) => i.fixmedins_code).join(', ')})`);
    if (!inst.designated) log.warn({ fixmedins_code: inst.fixmedins_code }, 'the institution is not designated: the platform will refuse every transaction');
    devices = await Devices.open({ reader: opts.reader, scanner: opts.scanner, scannerFeed: opts.scannerFeed, terminalId: opts.terminalId }, world.data);
    till = openTill(opts.till ?? opts.db, local?.ledger ?? null);
    const client = local ? localPlatform(local.platform) : new RemotePlatform(opts.platform!, credentials);
    const terminal = new Terminal(client, local?.ledger ?? null, world, clock, devices, { institution: inst, terminalId: opts.terminalId, tester: opts.tester }, till);
    const app = buildApp(terminal, devices, local, {
      tester: opts.tester,
      credentials,
      basePath: opts.basePath?.replace(/\/+$/, ''),
      allowOrigins: origins.origins,
      host: opts.host,
    });
    await app.listen({ port: opts.port, host: opts.host });
    const stopRecovery = terminal.startRecovery();
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    const url = `http://${host}:${port}/`;
    log.info({ url, fixmedins_code: inst.fixmedins_code, terminal_id: opts.terminalId, platform: client.where }, 'terminal listening');
    const d = devices;
    const t = till;
    let closing: Promise<void> | undefined;
    return {
      url,
      terminal,
      app,
      close: () =>
        (closing ??= (async () => {
          stopRecovery();
          await app.close();
          await d.close();
          t.close();
          await closeLedger();
        })()),
    };
  } catch (err) {
    await devices?.close().catch(() => {});
    till?.close();
    await closeLedger();
    throw err;
  }
}

/** The ledger and the platform in this process: the database is created from --world when it is new. */
async function openLocal(opts: z.output<typeof terminalOptions>, clock: Clock) {
  const onPostgres = isPostgresUrl(opts.db);
  if (onPostgres && !opts.till) throw new UsageError('with a PostgreSQL --db the terminal needs --till FILE for its own records');
  if (!onPostgres && !existsSync(opts.db)) {
    if (!opts.world) throw new UsageError(`no database at ${opts.db}: give --world DIR to create it`);
    await initDatabase(opts.db, opts.world, clock, false);
  }
  const opened = await openPlatform(opts.db, clock);
  if (!opened.ledger.hasWorld()) {
    await opened.close();
    throw new UsageError(`${opts.db} holds no world: run \`medpos init --db ${opts.db} --world DIR\``);
  }
  return opened;
}

/** A terminal that settles remotely reads its catalog, persons and policy from the same world the platform was made from. */
function remoteWorld(opts: z.output<typeof terminalOptions>): WorldIndex {
  if (!opts.till) throw new UsageError('with --platform the terminal needs --till FILE for its own records');
  if (!opts.world) throw new UsageError("with --platform the terminal needs --world DIR (the platform's world: its catalog and policy)");
  return new WorldIndex(loadWorld(opts.world));
}

interface AppOptions {
  tester: boolean;
  credentials: Credentials | undefined;
  basePath: string | undefined;
  allowOrigins: string[];
  host: string;
}

function buildApp(t: Terminal, devices: Devices, local: { ledger: LedgerStore; platform: Platform } | undefined, o: AppOptions): FastifyInstance {
  const tester = o.tester;
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // the transaction interface (hospital software): one envelope per body, always an envelope back;
  // a terminal that settles remotely has none (hospital software talks to the platform itself)
  if (local) mountGateway(app, { platform: local.platform, ledger: local.ledger, credentials: o.credentials, basePath: o.basePath, allowOrigins: o.allowOrigins, host: o.host });
  else guardBrowserCalls(app, { allowOrigins: o.allowOrigins, host: o.host, remoteAllowed: () => false });
  const html = page(t.institution, t.config.terminalId, tester);
  const assets: Record<string, { type: string; body: string }> = {
    '/app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(PUBLIC, 'app.js'), 'utf8') },
    '/diagnosis.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(PUBLIC, 'diagnosis.js'), 'utf8') },
    '/day-view.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(PUBLIC, 'day-view.js'), 'utf8') },
    '/inpatient.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(PUBLIC, 'inpatient.js'), 'utf8') },
    '/wedge.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(PUBLIC, 'wedge.js'), 'utf8') },
    '/app.css': { type: 'text/css; charset=utf-8', body: readFileSync(join(PUBLIC, 'app.css'), 'utf8') },
  };

  // Server-sent events: device status, card and scan events, the checkout, the clock, sales.
  const clients = new Set<ServerResponse>();
  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const broadcast = (event: string, data: unknown) => {
    for (const res of clients) send(res, event, data);
  };
  devices.on('status', (v) => broadcast('devices', v));
  devices.on('card', (ev) => broadcast('card', ev));
  t.on('checkout', (v) => broadcast('checkout', v));
  t.on('cashier', (c) => broadcast('cashier', c));
  t.on('clock', (c) => broadcast('clock', c));
  t.on('scan', (s) => broadcast('scan', s));
  t.on('sale', (s) => broadcast('sale', s));
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    for (const res of clients) res.end();
    clients.clear();
  });

  const state = () => ({
    institution: { fixmedins_code: t.institution.fixmedins_code, fixmedins_name: t.institution.fixmedins_name, fixmedins_type: t.institution.fixmedins_type, designated: t.institution.designated },
    terminal_id: t.config.terminalId,
    mode: t.mode,
    tester,
    policy: { card_pin_required: t.world.policy.card_pin_required, ecert_ttl_s: t.world.policy.ecert_ttl_s },
    world: t.world.data.world.name,
    platform: t.platform.where,
    clock: t.now(),
    cashier: t.cashier,
    devices: devices.view(),
    checkout: t.view(),
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ err_code: 'not_found', err_msg: `no such page or API: ${req.method} ${req.url.slice(0, 100)}` });
  });
  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof TerminalError) return reply.code(err.status).send(errorBody(err));
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.statusCode && e.statusCode < 500) {
      const code = e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'malformed_json';
      return reply.code(e.statusCode).send({ err_code: code, err_msg: `the request body is not valid: ${e.message ?? ''}` });
    }
    log.error({ err }, 'terminal API error');
    return reply.code(500).send({ err_code: 'internal_error', err_msg: `the terminal could not do that: ${e.message ?? String(err)}` });
  });

  void app.register(readerService, { devices, pinRequired: t.world.policy.card_pin_required, checkoutHoldsCard: () => t.holdsCard() });

  // --- the page
  app.get('/', async (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  for (const [path, a] of Object.entries(assets)) app.get(path, async (_req, reply) => reply.header('content-type', a.type).header('cache-control', 'no-store').send(a.body));

  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    send(res, 'state', state());
    clients.add(res);
    req.raw.on('close', () => clients.delete(res));
  });

  // --- the page's API
  const ok = (reply: FastifyReply, body: unknown) => reply.code(200).send(body ?? null);
  app.get('/api/state', async (_req, reply) => ok(reply, state()));
  app.post('/api/signin', async (req, reply) => {
    const b = parse(schemas.signin, req.body, 'body');
    return ok(reply, await t.signIn(b.opter_no, b.opter_name));
  });
  app.post('/api/signout', async (_req, reply) => {
    await t.signOut();
    return ok(reply, { cashier: null });
  });
  app.post('/api/checkout', async (_req, reply) => ok(reply, await t.newCheckout()));
  app.get('/api/checkout', async (_req, reply) => ok(reply, t.view()));
  app.post('/api/checkout/void', async (_req, reply) => ok(reply, await t.voidCheckout()));
  app.post('/api/checkout/identify', async (req, reply) => ok(reply, await t.identify(parse(schemas.identify, req.body, 'body'))));
  app.get('/api/checkout/reveal', async (_req, reply) => ok(reply, t.reveal()));
  app.post('/api/checkout/insutype', async (req, reply) => ok(reply, await t.setInsutype(parse(schemas.insutype, req.body, 'body').insutype)));
  app.post('/api/checkout/diagnosis', async (req, reply) => {
    const b = parse(schemas.diagnosis, req.body, 'body');
    return ok(reply, await t.exclusive(() => outpatient.setDiagnosis(t, b)));
  });
  app.get('/api/checkout/filings', async (_req, reply) => ok(reply, await t.exclusive(() => outpatient.filings(t))));
  app.post('/api/checkout/register', async (_req, reply) => ok(reply, await t.register()));
  app.post('/api/checkout/lines', async (req, reply) => {
    const b = parse(schemas.line, req.body, 'body');
    return ok(reply, await t.addLine({ hilist_code: b.hilist_code, pric: b.pric, cnt_e4: b.cnt, hosp_appr_flag: b.hosp_appr_flag, trace_code: b.trace_code }));
  });
  app.patch('/api/checkout/lines/:no', async (req, reply) => {
    const { no } = parse(schemas.lineNo, req.params, 'path');
    const b = parse(schemas.linePatch, req.body, 'body');
    return ok(reply, await t.updateLine(no, { pric: b.pric, cnt_e4: b.cnt, hosp_appr_flag: b.hosp_appr_flag }));
  });
  app.delete('/api/checkout/lines/:no', async (req, reply) => ok(reply, await t.removeLine(parse(schemas.lineNo, req.params, 'path').no)));
  app.post('/api/checkout/presettle', async (req, reply) => ok(reply, await t.presettle(parse(schemas.presettle, req.body, 'body').acct_used)));
  app.post('/api/checkout/settle', async (req, reply) => ok(reply, await t.settle(parse(schemas.settle, req.body, 'body'))));
  app.get('/api/catalog', async (req, reply) => ok(reply, t.searchCatalog(parse(schemas.catalog, req.query, 'query').q)));

  app.get('/api/receipts/:setl_id', async (req, reply) => {
    const { setl_id } = parse(schemas.setlId, req.params, 'path');
    const r = await receipt(t, setl_id);
    if (!r) throw new TerminalError('settlement_unknown', `本机构没有结算 ${setl_id}`, 404);
    return ok(reply, r);
  });
  app.post('/api/receipts/:setl_id/print', async (req, reply) => {
    const { setl_id } = parse(schemas.setlId, req.params, 'path');
    if (!t.store.sale(setl_id)) throw new TerminalError('settlement_unknown', `本终端没有结算 ${setl_id}`, 404);
    return ok(reply, { printed: await t.store.markPrinted(setl_id) });
  });
  app.post('/api/settlements/:setl_id/cancel', async (req, reply) => ok(reply, await t.cancel(parse(schemas.setlId, req.params, 'path').setl_id)));
  app.post('/api/settlements/:setl_id/return', async (req, reply) => {
    const { setl_id } = parse(schemas.setlId, req.params, 'path');
    return ok(reply, await t.partialReturn(setl_id, parse(schemas.partialReturn, req.body, 'body').keep));
  });
  if (t.mode !== 'pharmacy') inpatientRoutes(app, t, parse);
  app.get('/api/day', async (req, reply) => ok(reply, await dayReport(t, parse(schemas.day, req.query, 'query').date ?? localDate(t.clock))));
  app.post('/api/day/check', async (req, reply) => ok(reply, await checkDay(t, parse(schemas.day, req.query, 'query').date ?? localDate(t.clock))));

  // --- virtual devices and the tester's clock: only in tester mode (which listens on loopback only)
  if (!tester) return app;
  app.get('/api/virtual', async (_req, reply) => ok(reply, t.fixtures()));
  app.post('/api/virtual/card', async (req, reply) => {
    const { card_no } = parse(schemas.card, req.body, 'body');
    try {
      await devices.insertVirtual(card_no);
    } catch (err) {
      throw new TerminalError('virtual_card_failed', `模拟插卡失败: ${(err as Error).message}`, 422);
    }
    return ok(reply, devices.view());
  });
  app.post('/api/virtual/card/remove', async (_req, reply) => {
    await devices.removeVirtual();
    return ok(reply, devices.view());
  });
  app.post('/api/virtual/ecert', async (req, reply) => {
    const b = parse(schemas.ecert, req.body, 'body');
    return ok(reply, await t.showEcert(b.psn_no, b.age_s));
  });
  app.post('/api/scanner/keyboard', async (req, reply) => {
    devices.keyboardScan(parse(schemas.scan, req.body, 'body').text);
    return ok(reply, { via: 'keyboard' });
  });
  app.post('/api/virtual/scan', async (req, reply) => ok(reply, { via: await devices.typeScan(parse(schemas.scan, req.body, 'body').text) }));
  app.post('/api/tester/clock', async (req, reply) => ok(reply, t.moveClock(parse(schemas.clock, req.body, 'body'))));
  return app;
}
