/**
 * The scanner as replay drives it: a virtual scanner typing into the real scanner driver, over a
 * socat pseudo-terminal when socat is installed, over serialport's mock binding otherwise.
 */
import { SerialPortMock } from 'serialport';
import { PtyPair, socatAvailable } from '../../drivers/scanner/pty-pair.ts';
import { VirtualScanner } from '../../drivers/scanner/virtual-scanner.ts';
import { ScannerDriver, type BindingInterface, type ScanEvent } from '../drivers/scanner/driver.ts';

export interface ScannerLane {
  readonly wire: 'pty' | 'mock';
  /** Types `text` as one scan and resolves with what the driver classified. */
  scan(text: string): Promise<ScanEvent>;
  close(): Promise<void>;
}

function nextScan(driver: ScannerDriver, timeoutMs = 5000): Promise<ScanEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      driver.off('scan', onScan);
      reject(new Error(`no scan reached the driver within ${timeoutMs} ms`));
    }, timeoutMs);
    const onScan = (s: ScanEvent) => {
      clearTimeout(timer);
      driver.off('scan', onScan);
      resolve(s);
    };
    driver.on('scan', onScan);
  });
}

function waitListening(driver: ScannerDriver, timeoutMs = 5000): Promise<void> {
  if (driver.state === 'listening') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the scanner driver did not start listening within ${timeoutMs} ms`)), timeoutMs);
    driver.on('status', function on(s) {
      if (s.status !== 'listening') return;
      clearTimeout(timer);
      driver.off('status', on);
      resolve();
    });
  });
}

async function ptyLane(): Promise<ScannerLane> {
  const pair = new PtyPair();
  await pair.start();
  const driver = new ScannerDriver({ path: pair.host });
  const listening = waitListening(driver);
  await driver.start();
  await listening;
  const scanner = await VirtualScanner.open({ path: pair.scanner, terminator: 'CR' });
  return {
    wire: 'pty',
    async scan(text) {
      const got = nextScan(driver);
      await scanner.type(text);
      return got;
    },
    async close() {
      await scanner.close();
      await driver.close();
      await pair.dispose();
    },
  };
}

let mockSerial = 0;
async function mockLane(): Promise<ScannerLane> {
  const mock = SerialPortMock.binding;
  const path = `/dev/medpos-replay-${process.pid}-${++mockSerial}`;
  mock.createPort(path, { echo: false, record: false });
  let port: { emitData(data: Buffer | string): void } | undefined;
  const binding: BindingInterface = {
    list: () => mock.list(),
    open: async (o: Parameters<typeof mock.open>[0]) => {
      const p = await mock.open(o);
      port = p;
      return p;
    },
  } as unknown as BindingInterface;
  const driver = new ScannerDriver({ path }, { binding });
  const listening = waitListening(driver);
  await driver.start();
  await listening;
  return {
    wire: 'mock',
    async scan(text) {
      const got = nextScan(driver);
      port!.emitData(Buffer.from(`${text}\r`, 'utf8'));
      return got;
    },
    async close() {
      await driver.close();
    },
  };
}

/** A real pty when socat is there, else the mock binding; `MEDPOS_SCANNER_WIRE=mock|pty` chooses. */
export function openScannerLane(wire = process.env.MEDPOS_SCANNER_WIRE): Promise<ScannerLane> {
  if (wire === 'mock') return mockLane();
  if (wire === 'pty' || socatAvailable()) return ptyLane();
  return mockLane();
}
