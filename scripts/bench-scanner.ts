/**
 * The scanner figures of `npm run bench`: a burst of scans typed into a socat pty, received by the
 * scanner driver, against a bare serialport + ReadlineParser loop on the same kind of pty.
 */
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import { PtyPair, socatAvailable } from '../drivers/scanner/pty-pair.ts';
import { VirtualScanner } from '../drivers/scanner/virtual-scanner.ts';
import { ScannerDriver } from '../src/drivers/scanner/driver.ts';

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function burst(receive: (path: string, expect: number) => Promise<{ done: Promise<void>; close: () => Promise<void> }>, scans: number) {
  const pair = new PtyPair();
  await pair.start();
  try {
    const rx = await receive(pair.host, scans);
    const scanner = await VirtualScanner.open({ path: pair.scanner, terminator: 'CR' });
    const t = now();
    for (let i = 0; i < scans; i++) await scanner.type(`69${String(i).padStart(11, '0')}`);
    await rx.done;
    const ms = now() - t;
    await scanner.close();
    await rx.close();
    return ms;
  } finally {
    await pair.dispose();
  }
}

export async function benchScanner(o: { quick?: boolean } = {}) {
  if (!socatAvailable()) return { skipped: 'socat is not installed: no pty' };
  const scans = o.quick ? 300 : 2000;
  const driverMs = await burst(async (path, expect) => {
    const driver = new ScannerDriver({ path });
    let n = 0;
    const done = new Promise<void>((resolve) => driver.on('scan', () => ++n === expect && resolve()));
    await driver.start();
    return { done, close: () => driver.close() };
  }, scans);
  const bareMs = await burst(async (path, expect) => {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const parser = port.pipe(new ReadlineParser({ delimiter: '\r' }));
    let n = 0;
    const done = new Promise<void>((resolve) => parser.on('data', () => ++n === expect && resolve()));
    return { done, close: () => new Promise<void>((resolve) => port.close(() => resolve())) };
  }, scans);
  return { scans, driver_scans_per_s: (scans / driverMs) * 1000, bare_scans_per_s: (scans / bareMs) * 1000, ratio: bareMs / driverMs };
}

// Stand-alone (and how `npm run bench` runs it, under a watchdog): node --import tsx scripts/bench-scanner.ts [--quick]
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  benchScanner({ quick: process.argv.includes('--quick') }).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  });
}
