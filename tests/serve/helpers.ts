/**
 * Real `medpos serve` processes for tests: spawned through bin/medpos.js on a private PostgreSQL
 * cluster, reached over real HTTP with TIF-signed requests, as HIS software would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tifSignature } from '../../src/platform/auth.ts';
import { CALL_SERVICE_PATH } from '../../src/platform/gateway.ts';
import { post, type RawResponse } from '../gateway-helpers.ts';

export const PHARMACY = 'P44030000001';
export const PAASID = 'pharmacy_one';
export const SECRET = 'a-long-test-secret-for-the-pharmacy';
export const NOW = '2026-11-20T10:00:00+08:00';

/** A credentials file for the demo world's first pharmacy and a hospital. */
export function credentialsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'medpos-serve-')), 'auth.json');
  writeFileSync(
    file,
    JSON.stringify({
      credentials: [
        { fixmedins_code: PHARMACY, paasid: PAASID, secret: SECRET },
        { fixmedins_code: 'H44030000002', paasid: 'hospital_two', secret: 'another-long-secret-for-the-hospital' },
      ],
    }),
  );
  return file;
}

export interface ServeProcess {
  /** The gateway's URL. */
  url: string;
  base: string;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts `medpos serve` and waits for the URL it prints. */
export function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const proc = spawn(process.execPath, ['bin/medpos.js', 'serve', '--port', '0', ...args], {
    env: { ...process.env, MEDPOS_NOW: NOW, MEDPOS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`medpos serve did not start: ${err}`)), 30_000);
    let started = false;
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`medpos serve exited with ${code}: ${err}`));
    });
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (!started && out.includes('\n') && line) {
        clearTimeout(timer);
        started = true;
        resolve({
          url: `${line}${CALL_SERVICE_PATH}`,
          base: line,
          proc,
          stderr: () => err,
          stop: async () => {
            proc.kill('SIGTERM');
            return exited;
          },
          kill: async () => {
            proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
  });
}

/** TIF headers for one request, signed now with a fresh nonce. */
export function tif(o: { paasid?: string; secret?: string; nonce?: string; timestamp?: number } = {}): Record<string, string> {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomUUID();
  return { 'x-tif-paasid': o.paasid ?? PAASID, 'x-tif-timestamp': ts, 'x-tif-nonce': nonce, 'x-tif-signature': tifSignature(ts, o.secret ?? SECRET, nonce) };
}

/** A 2102 pharmacy settlement of one drug line for a person, from the account when it can. */
export function drugSale(msgid: string, psnNo: string, certno: string, yuan = '25.00') {
  const cnt = Number(yuan) / 12.5;
  return {
    infno: '2102',
    msgid,
    fixmedins_code: PHARMACY,
    insuplc_admdvs: '440300',
    mdtrtarea_admvs: '440300',
    infver: 'V1.0',
    input: {
      druginfo: { psn_no: psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: certno, medfee_sumamt: yuan, insutype: '310', med_type: '41', acct_used_flag: '1' },
      drugdetail: [{ feedetl_sn: 'R1', med_list_codg: 'XJ01CAA040A001', det_item_fee_sumamt: yuan, cnt: String(cnt), pric: '12.50' }],
    },
  };
}

/** A 2103 cancellation of a pharmacy settlement. */
export function drugCancel(msgid: string, s: { setl_id: string; mdtrt_id: string; psn_no: string }) {
  return { infno: '2103', msgid, fixmedins_code: PHARMACY, insuplc_admdvs: '440300', mdtrtarea_admvs: '440300', infver: 'V1.0', input: { data: s } };
}

/** POSTs an envelope signed; a connection that breaks (the server killed) is `undefined`: no answer came. */
export async function send(url: string, env: unknown, headers = tif()): Promise<RawResponse | undefined> {
  try {
    return await post(url, JSON.stringify(env), headers);
  } catch {
    return undefined;
  }
}

export async function getJson(url: string): Promise<{ status: number; json: unknown }> {
  const r = await fetch(url);
  return { status: r.status, json: await r.json() };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
