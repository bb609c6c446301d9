/**
 * What `medpos terminal` and `medpos serve` share in front of the platform: the rule on binding past
 * loopback, the browser guard, and the gateway plugin wired to a platform and its ledger's nonces.
 */
import type { FastifyInstance } from 'fastify';
import type { LedgerStore } from '../ledger/types.ts';
import type { Credentials } from './auth.ts';
import { guardBrowserCalls, isLoopbackAddress } from './browser-guard.ts';
import { gateway, isGatewayUrl } from './gateway.ts';
import { openapi } from './openapi.ts';
import type { Platform } from './platform.ts';

/** Is this listen address reachable from this machine only? */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackAddress(host.replace(/^\[|\]$/g, '')) || host === 'localhost';
}

/** The refusal to listen past loopback unsigned (undefined when the bind is allowed). */
export function exposedBindProblem(host: string, auth: string | undefined, insecure: boolean): string | undefined {
  if (isLoopbackHost(host) || auth || insecure) return undefined;
  return `listening on ${host} lets other machines call the gateway: give --auth FILE (signed requests), or --insecure to accept unsigned ones`;
}

export interface MountOptions {
  platform: Platform;
  ledger: LedgerStore;
  credentials: Credentials | undefined;
  basePath: string | undefined;
  allowOrigins: string[];
  /** The listen address (the browser guard's Host rule). */
  host: string;
  /** Paths beside the gateway's a remote caller may reach (e.g. `/health`). */
  remotePaths?: readonly string[];
}

/** The browser guard and the gateway on an app, as every medpos server mounts them. */
export function mountGateway(app: FastifyInstance, o: MountOptions): void {
  const remotePaths = new Set(o.remotePaths ?? []);
  guardBrowserCalls(app, { allowOrigins: o.allowOrigins, host: o.host, remoteAllowed: (url) => isGatewayUrl(url, o.basePath) || remotePaths.has(url.split('?')[0]!) });
  void app.register(gateway, {
    call: (request: unknown) => o.platform.call(request),
    claimNonce: (paasid: string, nonce: string, at: number) => o.ledger.transaction((tx) => tx.claimNonce(paasid, nonce, at)),
    basePath: o.basePath,
    credentials: o.credentials,
  });
  void app.register(openapi, { basePath: o.basePath });
}
