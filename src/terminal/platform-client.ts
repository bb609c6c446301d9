/**
 * The one way the terminal reaches the platform: an envelope out, an envelope back. In process it
 * is the Platform itself; a terminal that settles remotely POSTs each envelope to the platform's
 * gateway path, signed with the TIF scheme when a credential names the terminal's institution.
 * A platform that cannot be reached (connection refused or reset, no answer in time, HTTP 503) is
 * a PlatformUnavailable: the caller cannot know whether the request was applied, and resolves that
 * by sending the same msgid again.
 */
import { randomBytes } from 'node:crypto';
import type { Credentials } from '../platform/auth.ts';
import { tifSignature } from '../platform/auth.ts';
import type { RequestEnvelope, ResponseEnvelope } from '../platform/envelope.ts';
import { CALL_SERVICE_PATH } from '../platform/gateway.ts';
import type { Platform } from '../platform/platform.ts';

export interface PlatformClient {
  call(request: RequestEnvelope): Promise<ResponseEnvelope>;
  /** Where the answers come from, for the log and the page. */
  readonly where: string;
}

export class PlatformUnavailable extends Error {
  override name = 'PlatformUnavailable';
}

/** The platform in this process (the terminal beside its ledger). */
export function localPlatform(platform: Platform): PlatformClient {
  return { call: (request) => platform.call(request), where: 'local' };
}

const TIMEOUT_MS = 15_000;

export class RemotePlatform implements PlatformClient {
  readonly where: string;
  private readonly endpoint: string;

  constructor(
    base: string,
    private readonly credentials: Credentials | undefined,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    const u = new URL(base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--platform must be an http:// or https:// URL, not ${u.protocol}`);
    this.where = u.origin;
    this.endpoint = `${u.origin}${u.pathname.replace(/\/+$/, '')}${CALL_SERVICE_PATH}`;
  }

  async call(request: RequestEnvelope): Promise<ResponseEnvelope> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...this.signature(request.fixmedins_code) };
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.endpoint, { method: 'POST', headers, body: JSON.stringify(request), signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new PlatformUnavailable(`the platform at ${this.where} did not answer (${cause})`);
    }
    if (res.status === 503) throw new PlatformUnavailable(`the platform at ${this.where} is unavailable (HTTP 503)`);
    try {
      return JSON.parse(text) as ResponseEnvelope;
    } catch {
      throw new PlatformUnavailable(`the platform at ${this.where} answered HTTP ${res.status} without an envelope`);
    }
  }

  /** TIF headers for the institution's credential; none when the platform takes unsigned requests. */
  private signature(fixmedinsCode: string): Record<string, string> {
    const cred = [...(this.credentials?.values() ?? [])].find((c) => c.fixmedins_code === fixmedinsCode && c.scheme === 'tif');
    if (!cred) return {};
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    return { 'x-tif-paasid': cred.paasid, 'x-tif-timestamp': timestamp, 'x-tif-nonce': nonce, 'x-tif-signature': tifSignature(timestamp, cred.secret, nonce) };
  }
}
