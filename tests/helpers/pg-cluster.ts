/**
 * A private PostgreSQL server for tests: initdb in a temporary directory, run as the `postgres` OS
 * user (the server refuses root), listening on a random free port on 127.0.0.1 and on a private
 * socket directory, never the system's cluster. medpos connects as a role that owns its database and
 * is not a superuser, as it would at a user's site; the helper itself administers the cluster as
 * `postgres` over the private socket.
 *
 * When the binaries are missing the gate says why, and the tests skip, unless MEDPOS_PG=required:
 * then they fail, as MEDPOS_HW=required does for the card stack.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type PgGate = { ok: true; bin: string } | { ok: false; reason: string };

export const pgRequired = process.env.MEDPOS_PG === 'required';

/** Whether a private cluster can be started here, and where the server's binaries are. */
export function pgGate(): PgGate {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) return { ok: false, reason: `no PostgreSQL server binaries under ${root}/*/bin (apt-get install postgresql)` };
  const bin = join(root, versions[0]!, 'bin');
  if (userInfo().uid === 0) {
    if (spawnSync('id', ['-u', 'postgres']).status !== 0) return { ok: false, reason: 'running as root but there is no `postgres` OS user to run the server as' };
    if (spawnSync('runuser', ['--help']).status !== 0) return { ok: false, reason: 'running as root but `runuser` is missing (util-linux)' };
  }
  return { ok: true, bin };
}

/** Prints why the PostgreSQL tests skip, or throws when MEDPOS_PG=required. Returns whether to run them. */
export function pgAvailable(what: string): boolean {
  const gate = pgGate();
  if (gate.ok) return true;
  if (pgRequired) throw new Error(`MEDPOS_PG=required but ${gate.reason}`);
  console.warn(`skipping ${what}: ${gate.reason}`);
  return false;
}

export interface PgCluster {
  /** The role medpos connects as (owns its databases, not a superuser). */
  readonly role: string;
  readonly port: number;
  /** A new, empty database owned by the role; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL as the cluster's superuser in a database (tampering, inspection). */
  asSuperuser<T = Record<string, unknown>>(database: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown), keeping its data, until resume(). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  readonly log: () => string;
}

export interface PgClusterOptions {
  /** fsync and synchronous_commit on (the bench); tests leave them off for speed: nothing here survives the machine. */
  durable?: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let databases = 0;

export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const gate = pgGate();
  if (!gate.ok) throw new Error(gate.reason);
  const asRoot = userInfo().uid === 0;
  const osUser = asRoot ? 'postgres' : userInfo().username;
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : join(gate.bin, cmd), asRoot ? ['-u', 'postgres', '--', join(gate.bin, cmd), ...args] : args, {
      cwd: base,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });

  const base = mkdtempSync(join(tmpdir(), 'medpos-pg-'));
  const data = join(base, 'data');
  const sockets = join(base, 'sockets');
  const logFile = join(base, 'server.log');
  mkdirSync(sockets);
  chmodSync(base, 0o755);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(base, uid, gid);
    chownSync(sockets, uid, gid);
  }
  chmodSync(sockets, 0o700);
  run('initdb', ['-D', data, '-U', osUser, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-locale', '-E', 'UTF8', '--no-sync']);

  const port = await freePort();
  const settings = [
    `port=${port}`,
    "listen_addresses='127.0.0.1'",
    `unix_socket_directories='${sockets}'`,
    'max_connections=200',
    'shared_buffers=32MB',
    `fsync=${opts.durable ? 'on' : 'off'}`,
    `synchronous_commit=${opts.durable ? 'on' : 'off'}`,
    `full_page_writes=${opts.durable ? 'on' : 'off'}`,
  ];
  const start = () => run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', settings.map((s) => `-c ${s}`).join(' '), 'start']);
  const stopNow = (mode: 'fast' | 'immediate') => {
    if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  };
  start();
  // A test process that dies still takes its server with it.
  const onExit = () => {
    try {
      stopNow('immediate');
    } catch {
      /* already gone */
    }
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const admin = (database: string) => new pg.Client({ host: sockets, port, user: osUser, database });
  const asSuperuser = async <T,>(database: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const c = admin(database);
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  };

  const role = 'medpos_app';
  const password = `pw-${process.pid}-${Date.now()}`;
  await asSuperuser('postgres', `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);

  return {
    role,
    port,
    async createDatabase(name?: string) {
      databases += 1;
      const db = name ?? `medpos_${process.pid}_${databases}`;
      await asSuperuser('postgres', `CREATE DATABASE ${db} OWNER ${role}`);
      return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
    },
    asSuperuser,
    async restart() {
      stopNow('fast');
      start();
    },
    async pause() {
      stopNow('fast');
    },
    async resume() {
      start();
    },
    async stop() {
      process.removeListener('exit', onExit);
      stopNow('fast');
      rmSync(base, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
}
