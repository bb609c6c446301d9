/**
 * The vpcd link (vsmartcard's virtual reader driver, hardware.md section 2): insert = open a TCP
 * connection to vpcd, remove = close it. Every message either way is a 2-byte big-endian length,
 * then the payload. From vpcd a 1-byte payload is a control code (00 power off, 01 power on,
 * 02 reset, 04 get ATR), anything longer a command APDU. Only the ATR request and APDUs are answered.
 * vpcd 0.8 writes the length and the payload separately, so input is reassembled; each answer goes
 * out in one write with Nagle off.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { log } from '../../src/log.ts';
import type { SimulatedCard } from '../../src/drivers/card/types.ts';

export const VPCD_DEFAULT_PORT = 35963;
/** The longest payload vpcd may send: an extended APDU (4 + 3 + 65535 + 2). */
const MAX_MESSAGE = 65_544;

export interface VpcdAddress {
  host: string;
  port: number;
}

/** "HOST:PORT", "HOST" or ":PORT" (IPv6 in brackets); throws TypeError saying what is wrong. */
export function parseVpcdAddress(text: string, defaultPort = VPCD_DEFAULT_PORT): VpcdAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new TypeError(`vpcd address ${JSON.stringify(text)} is not HOST:PORT`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`vpcd port ${m[3]} is not 1-65535`);
  return { host, port };
}

export interface VpcdLinkOptions extends Partial<VpcdAddress> {
  /** Reconnect when vpcd drops the connection (pcscd restarted): the card stays "in the reader". */
  reconnect?: boolean;
  /** Reconnect back-off bounds, default 100 ms doubling to 1000 ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export interface VpcdLinkEvents {
  /** The TCP connection is up (vpcd accepts it at its next presence poll). */
  connected: [];
  /** The connection ended; `expected` is false when vpcd or the network dropped it. */
  disconnected: [{ expected: boolean; reason: string }];
  /** One command answered (or pulled: response empty). */
  apdu: [{ command: Buffer; response: Buffer }];
}

export class VpcdLink extends EventEmitter<VpcdLinkEvents> {
  readonly host: string;
  readonly port: number;
  private card: SimulatedCard;
  private sock: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private wanted = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private readonly reconnect: boolean;
  private readonly minMs: number;
  private readonly maxMs: number;
  private pullCountdown: number | null = null;

  constructor(card: SimulatedCard, opts: VpcdLinkOptions = {}) {
    super();
    this.card = card;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? VPCD_DEFAULT_PORT;
    this.reconnect = opts.reconnect ?? false;
    this.minMs = opts.reconnectMinMs ?? 100;
    this.maxMs = opts.reconnectMaxMs ?? 1000;
    this.retryDelay = this.minMs;
  }

  get connected(): boolean {
    return this.sock !== null && !this.sock.connecting && !this.sock.destroyed;
  }

  /** The card will be pulled when the n-th next command arrives (it gets no answer; the link closes). */
  pullAfter(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('pullAfter needs a positive whole number');
    this.pullCountdown = n;
  }

  /** Inserts the card: resolves once connected; rejects (and stays out) if vpcd cannot be reached. */
  insert(): Promise<void> {
    if (this.wanted && this.sock) return Promise.resolve();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.wanted = true;
    return this.connect().catch((err: unknown) => {
      this.wanted = false;
      throw err;
    });
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port });
      s.setNoDelay(true);
      this.sock = s;
      this.buf = Buffer.alloc(0);
      let up = false;
      s.once('connect', () => {
        up = true;
        this.retryDelay = this.minMs;
        this.card.reset();
        log.debug({ host: this.host, port: this.port }, 'virtual card connected to vpcd');
        this.emit('connected');
        resolve();
      });
      s.on('data', (d) => this.onData(s, d));
      s.on('error', (err) => {
        log.debug({ err: err.message }, 'vpcd connection error');
        if (!up) reject(new Error(`cannot reach vpcd at ${this.host}:${this.port} (${err.message}); is pcscd with the vpcd driver running?`));
      });
      s.on('close', () => {
        if (this.sock === s) this.sock = null;
        if (!up) return;
        const expected = !this.wanted;
        this.emit('disconnected', { expected, reason: expected ? 'removed' : 'vpcd closed the connection' });
        if (!expected && this.reconnect) this.scheduleReconnect();
      });
    });
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.wanted) return;
      this.connect().catch(() => {
        this.retryDelay = Math.min(this.retryDelay * 2, this.maxMs);
        this.scheduleReconnect();
      });
    }, this.retryDelay);
  }

  /** Removes the card: closes the connection; resolves when it is closed. */
  remove(): Promise<void> {
    this.wanted = false;
    this.pullCountdown = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    return this.drop();
  }

  /** Swaps the card (the next connection serves it). */
  setCard(card: SimulatedCard): void {
    this.card = card;
  }

  private drop(): Promise<void> {
    const s = this.sock;
    this.sock = null;
    if (!s || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  private send(s: net.Socket, payload: Buffer): void {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(payload.length);
    s.write(Buffer.concat([head, payload]));
  }

  private onData(s: net.Socket, d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.sock === s && this.buf.length >= 2) {
      const n = this.buf.readUInt16BE(0);
      if (n > MAX_MESSAGE) {
        log.warn({ length: n }, 'vpcd sent an oversized message; dropping the connection');
        s.destroy();
        return;
      }
      if (this.buf.length < 2 + n) return;
      const msg = Buffer.from(this.buf.subarray(2, 2 + n));
      this.buf = this.buf.subarray(2 + n);
      if (n === 0) continue;
      if (n === 1) {
        const code = msg[0];
        if (code === 0x04) this.send(s, this.card.atr);
        else if (code === 0x00 || code === 0x01 || code === 0x02) this.card.reset();
        else log.debug({ code }, 'unknown vpcd control code ignored');
        continue;
      }
      if (this.pullCountdown !== null && --this.pullCountdown <= 0) {
        this.pullCountdown = null;
        this.emit('apdu', { command: msg, response: Buffer.alloc(0) });
        this.wanted = false;
        void this.drop();
        return;
      }
      const response = this.card.process(msg);
      this.emit('apdu', { command: msg, response });
      if (response.length === 0) {
        // A card that answers nothing has left (a replayed pull).
        this.wanted = false;
        void this.drop();
        return;
      }
      this.send(s, response);
    }
  }
}
