import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runScenario, scenarioSchema } from '../../src/replay/replay.ts';
import { openScannerLane } from '../../src/replay/scanner-lane.ts';
import { socatAvailable } from '../../drivers/scanner/pty-pair.ts';

const needPty = process.env.MEDPOS_HW === 'required' || socatAvailable();
const scenario = scenarioSchema.parse(JSON.parse(readFileSync('fixtures/scenarios/devices-ecert-scanner.json', 'utf8')));

describe.each([
  ['mock', true],
  ['pty', needPty],
] as const)('replay device steps over the %s wire', (wire, run) => {
  it.runIf(run)('drives the scanner driver and settles with the scanned e-certificate', async () => {
    const before = process.env.MEDPOS_SCANNER_WIRE;
    process.env.MEDPOS_SCANNER_WIRE = wire;
    try {
      const lines: string[] = [];
      const r = await runScenario(scenario, 'fixtures/scenarios', (l) => lines.push(l));
      expect(lines).toEqual([]);
      expect(r).toEqual({ passed: scenario.steps.length, failed: 0 });
    } finally {
      if (before === undefined) delete process.env.MEDPOS_SCANNER_WIRE;
      else process.env.MEDPOS_SCANNER_WIRE = before;
    }
  });

  it.runIf(run)('classifies what is typed, whole', async () => {
    const lane = await openScannerLane(wire);
    try {
      expect(lane.wire).toBe(wire);
      expect(await lane.scan('6920318002128')).toMatchObject({ kind: 'ean13', text: '6920318002128' });
      expect(await lane.scan('86120450000012345678')).toMatchObject({ kind: 'trace' });
      expect(await lane.scan('hello')).toMatchObject({ kind: 'unknown', text: 'hello' });
    } finally {
      await lane.close();
    }
  });
});

if (!needPty) console.warn('replay pty tests skipped: socat is not installed (set MEDPOS_HW=required to make this a failure)');
