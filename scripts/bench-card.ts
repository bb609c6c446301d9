/**
 * Card driver bench: the driver against a bare loop sending the same APDUs through `pcsclite`, side
 * by side in one run, through the real pcscd + vpcd + virtual card. Run it inside the harness:
 *   bash scripts/hw/with-pcscd.sh npm run bench
 * Returns { skipped: reason } when PC/SC or vpcd cannot be reached.
 *
 * - insertToIdentityMs: median over insert cycles from opening the vpcd connection (the card goes in)
 *   to the identity read; dominated by pcscd's 400 ms presence polling.
 * - driverReadMs: median of readIdentity on a card already present (connect, 12 APDUs, disconnect,
 *   with the driver's status machine, 61xx/6Cxx handling, decoding and checks).
 * - bareLoopMs: median of the same connect + the same APDUs + disconnect straight on pcsclite.
 * - ratio: driverReadMs / bareLoopMs (the driver's overhead; 1 = none).
 * Driver and bare reads alternate, so both see the same machine state.
 */
import { performance } from 'node:perf_hooks';
import {
  createPcscReader,
  loadPcsclite,
  readIdentity,
  TraceRecorder,
  type NativeContext,
  type NativeReader,
  type PcscReader,
} from '../src/drivers/card/index.ts';
import { SCARD } from '../src/drivers/card/pcsc-reader.ts';
import { fromHex } from '../src/drivers/card/codec.ts';
import { parseVpcdAddress, type CardImage } from '../drivers/vcard/index.ts';
import { startCardHolder } from './bench-vcard.ts';

export interface CardBench {
  apdus: number;
  insertToIdentityMs: number;
  driverReadMs: number;
  bareLoopMs: number;
  ratio: number;
  cycles: number;
  reads: number;
  reader: string;
}

export interface CardBenchOptions {
  quick?: boolean;
  /** Where vpcd listens; default $MEDPOS_HW_VPCD or 127.0.0.1:35963. */
  vpcd?: string;
  /** The PC/SC reader for that vpcd port; default "Virtual PCD 00 00". */
  reader?: string;
}

/** A fixed card: the bench does not depend on a world's contents. */
const IMAGE: CardImage = {
  card_no: 'B00000001',
  card_sn: '440300D156000005B0000000000000B1',
  spec_ver: '3.00',
  issue_date: '2021-06-01',
  expiry_date: '2031-06-01',
  pin: '123456',
  certno: '44030119800101123X',
  psn_name: '欧阳堃喆',
  gend: '1',
  naty: '01',
  brdy: '1980-01-01',
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

export async function benchCard(opts: CardBenchOptions = {}): Promise<CardBench | { skipped: string }> {
  const cycles = opts.quick ? 5 : 20;
  const reads = opts.quick ? 30 : 200;
  const readerName = opts.reader ?? 'Virtual PCD 00 00';
  let address;
  try {
    address = parseVpcdAddress(opts.vpcd ?? process.env.MEDPOS_HW_VPCD ?? '127.0.0.1:35963');
  } catch (err) {
    return { skipped: (err as Error).message };
  }

  let factory;
  try {
    factory = await loadPcsclite();
  } catch (err) {
    return { skipped: `PC/SC is unavailable: ${(err as Error).message}` };
  }

  const reader: PcscReader = await createPcscReader({ reader: readerName, retryMs: 200 });
  const link = startCardHolder(IMAGE, address); // out of this process: see scripts/bench-vcard.ts
  let bareCtx: NativeContext | null = null;
  let bareReader: NativeReader | null = null;
  try {
    try {
      await reader.waitFor((s) => s.status === 'waiting for card' || s.status === 'card ready', 3000, 'reader');
    } catch {
      return { skipped: `no PC/SC reader "${readerName}" (${reader.snapshot.status}: ${reader.snapshot.message}); run under scripts/hw/with-pcscd.sh` };
    }
    if (reader.cardPresent) return { skipped: `reader "${readerName}" already holds a card` };
    try {
      await link.insert();
    } catch (err) {
      return { skipped: (err as Error).message };
    }

    // (1) insert -> identity, over full remove/insert cycles (the first insertion above is a warm-up).
    await readIdentity(reader, { timeoutMs: 5000 });
    const insertMs: number[] = [];
    for (let i = 0; i < cycles; i++) {
      await link.remove();
      await reader.waitForRemoval(5000);
      const t0 = performance.now();
      await link.insert();
      await readIdentity(reader, { timeoutMs: 5000 });
      insertMs.push(performance.now() - t0);
    }

    // The APDUs of one read, as the driver sends them.
    const trace = new TraceRecorder();
    await readIdentity(reader, { trace });
    const apdus = trace.toJSON().exchanges.map((e) => fromHex(e.command));

    // (2) a bare pcsclite context on the same reader.
    bareCtx = factory();
    const ctx = bareCtx;
    // pcsclite reports "Command cancelled" as an error event after close(): keep a listener for good.
    ctx.on('error', () => {});
    bareReader = await withTimeout(
      new Promise<NativeReader>((resolve) => ctx.on('reader', (r) => r.name === readerName && resolve(r))),
      3000,
      'bare reader',
    );
    bareReader.on('error', () => {});
    const bare = bareReader;
    const bareRead = async (): Promise<void> => {
      const protocol = await new Promise<number>((res, rej) =>
        bare.connect({ share_mode: SCARD.SHARE_SHARED, protocol: SCARD.PROTOCOL_T0 | SCARD.PROTOCOL_T1 }, (e, p) => (e ? rej(e) : res(p))),
      );
      for (const apdu of apdus) {
        const r = await new Promise<Buffer>((res, rej) => bare.transmit(apdu, 258, protocol, (e, d) => (e ? rej(e) : res(d))));
        if (r.length < 2) throw new Error('bare loop: the card went away');
      }
      await new Promise<void>((res) => bare.disconnect(SCARD.LEAVE_CARD, () => res()));
    };

    // (3) side by side, alternating.
    const driverMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < reads; i++) {
      let t = performance.now();
      await readIdentity(reader);
      driverMs.push(performance.now() - t);
      t = performance.now();
      await bareRead();
      bareMs.push(performance.now() - t);
    }
    const driverReadMs = median(driverMs);
    const bareLoopMs = median(bareMs);
    return {
      apdus: apdus.length,
      insertToIdentityMs: round(median(insertMs)),
      driverReadMs: round(driverReadMs),
      bareLoopMs: round(bareLoopMs),
      ratio: Math.round((driverReadMs / bareLoopMs) * 1000) / 1000,
      cycles,
      reads,
      reader: readerName,
    };
  } finally {
    await link.remove().catch(() => {});
    link.close();
    await reader.close();
    if (bareCtx) {
      await new Promise((r) => setImmediate(r));
      bareCtx.close();
      for (const r of Object.values(bareCtx.readers ?? {})) r.close();
      bareReader?.close();
    }
  }
}

// Stand-alone (and how `npm run bench` runs it, under a watchdog): node --import tsx scripts/bench-card.ts [--quick]
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  benchCard({ quick: process.argv.includes('--quick') }).then((r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0); // a PC/SC context may keep the loop alive after close()
  });
}
