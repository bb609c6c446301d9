/**
 * `medpos serve`: the platform alone over HTTP (the gateway, `GET /health`), no page, no devices, for
 * HIS servers and remote terminals. Several serve processes may share one PostgreSQL database: what
 * they must agree on (msgids, nonces, balances, the hash chain) lives there, nothing in the process.
 */
import { existsSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createPlatform, initDatabase, UsageError } from '../app.ts';
import { clockFromEnv } from '../core/clock.ts';
import { log } from '../log.ts';
import { isPostgresUrl, openLedger } from '../ledger/open.ts';
import type { LedgerStore } from '../ledger/types.ts';
import { loadCredentials } from './auth.ts';
import { parseOrigins } from './browser-guard.ts';
import { describeZodError } from './envelope.ts';
import { checkBasePath } from './gateway.ts';
import { exposedBindProblem, mountGateway } from './mount.ts';

export const HEALTH_PATH = '/health';

export const serveOptions = z.strictObject({
  db: z.string().min(1, 'must name a file or a URL'),
  world: z.string().min(1).optional(),
  port: z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0).max(65535).default(8080),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  auth: z.string().min(1, 'must name a credentials file').optional(),
  insecure: z.boolean().default(false),
  basePath: z
    .string()
    .superRefine((p, ctx) => {
      const problem = checkBasePath(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  allowOrigin: z.array(z.string().max(300)).max(100).default([]),
  /** PostgreSQL connections this server holds (the database's max_connections is shared by every server). */
  pool: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(16),
});
export type ServeOptions = z.input<typeof serveOptions>;

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  ledger: LedgerStore;
  /** Stops listening, lets requests in flight finish, seals the hash chain and closes the database. */
  close(): Promise<void>;
}

/** Named numbers (setl_id, mdtrt_id ...) a server draws per round trip on PostgreSQL; a server that stops leaves the rest of its block unused. */
const NUMBER_BLOCK = 32;

/** The ledger at `db`, holding a world: loaded from `world` when the database holds none. */
async function openWithWorld(db: string, world: string | undefined, poolSize: number): Promise<LedgerStore> {
  const clock = clockFromEnv();
  if (!isPostgresUrl(db) && !existsSync(db)) {
    if (!world) throw new UsageError(`no database at ${db}: give --world DIR to create it`);
    await initDatabase(db, world, clock, false);
  }
  let ledger = await openLedger(db, { poolSize, numberBlock: NUMBER_BLOCK });
  if (ledger.hasWorld()) return ledger;
  await ledger.close();
  if (!world) throw new UsageError(`${db.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1@')} holds no world: give --world DIR to load one`);
  try {
    await initDatabase(db, world, clock, false);
  } catch (err) {
    // another server sharing the database loaded it first: use that one
    if (!/already holds a world/.test((err as Error).message)) throw err;
  }
  ledger = await openLedger(db, { poolSize, numberBlock: NUMBER_BLOCK });
  if (!ledger.hasWorld()) {
    await ledger.close();
    throw new Error(`${ledger.location} holds no world after loading it`);
  }
  return ledger;
}

export async function startServer(input: ServeOptions): Promise<RunningServer> {
  const r = serveOptions.safeParse(input);
  if (!r.success) throw new UsageError(describeZodError(r.error, 'option'));
  const opts = r.data;
  const origins = parseOrigins(opts.allowOrigin);
  if (origins.problem) throw new UsageError(origins.problem);
  const exposed = exposedBindProblem(opts.host, opts.auth, opts.insecure);
  if (exposed) throw new UsageError(exposed);
  const credentials = opts.auth ? loadCredentials(opts.auth) : undefined;
  const ledger = await openWithWorld(opts.db, opts.world, opts.pool);
  try {
    const platform = createPlatform(ledger, clockFromEnv());
    // 'idle': keep-alive connections with nothing in flight close at once; answers in flight are sent first
    const app = Fastify({ logger: false, forceCloseConnections: 'idle' });
    mountGateway(app, { platform, ledger, credentials, basePath: opts.basePath?.replace(/\/+$/, ''), allowOrigins: origins.origins, host: opts.host, remotePaths: [HEALTH_PATH, '/openapi.json'] });
    app.get(HEALTH_PATH, async (_req, reply) => {
      try {
        await ledger.transaction((tx) => tx.meta('schema_version'));
        return await reply.code(200).header('cache-control', 'no-store').send({ database: 'ok' });
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'health: the database is unavailable');
        return reply.code(503).header('cache-control', 'no-store').send({ database: 'unavailable' });
      }
    });
    app.setNotFoundHandler((req, reply) => {
      reply.code(404).send({ err_code: 'not_found', err_msg: `medpos serve answers the gateway and ${HEALTH_PATH} only, not ${req.method} ${req.url.slice(0, 100)}` });
    });
    await app.listen({ port: opts.port, host: opts.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
    log.info({ url, db: ledger.location, engine: ledger.engine, signed: credentials !== undefined }, 'platform server listening');
    let closing: Promise<void> | undefined;
    return {
      url,
      app,
      ledger,
      close: () =>
        (closing ??= (async () => {
          try {
            await app.close();
          } finally {
            await ledger.close(); // seals what this process appended
          }
        })()),
    };
  } catch (err) {
    await ledger.close().catch(() => undefined);
    throw err;
  }
}
