import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCardLane } from '../../src/replay/card-lane.ts';
import { worldIndex, WORLDS } from '../helpers.ts';
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

describe('replay card steps', () => {
  const hw = Boolean(process.env.MEDPOS_HW_VPCD);
  if (!hw) console.warn(`replay card steps through pcscd skipped: no harness (run under scripts/hw/with-pcscd.sh)${process.env.MEDPOS_HW === 'required' ? ' and MEDPOS_HW=required: failing' : ''}`);
  const cards = scenarioSchema.parse(JSON.parse(readFileSync('fixtures/scenarios/devices-card.json', 'utf8')));

  it.each([
    ['inprocess', ''],
    ['pcsc', process.env.MEDPOS_HW_VPCD ?? ''],
  ] as const)('reads every card through the card driver (%s)', async (wire, vpcd) => {
    if (wire === 'pcsc' && !vpcd) {
      expect(process.env.MEDPOS_HW, 'the harness is required here').not.toBe('required');
      return;
    }
    const lane = await openCardLane(worldIndex(WORLDS.demo).data, vpcd);
    try {
      expect(lane.wire).toBe(wire);
      await lane.insert('A00000003');
      expect(await lane.read()).toMatchObject({ psn_name: '李堃', card_no: 'A00000003' });
      await lane.remove();
    } finally {
      await lane.close();
    }
    const saved = process.env.MEDPOS_HW_VPCD;
    if (wire === 'inprocess') delete process.env.MEDPOS_HW_VPCD;
    try {
      const lines: string[] = [];
      expect(await runScenario(cards, 'fixtures/scenarios', (l) => lines.push(l))).toEqual({ passed: cards.steps.length, failed: 0 });
      expect(lines).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.MEDPOS_HW_VPCD = saved;
    }
  });

  it('asks for the PIN first where the world requires one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medpos-pin-'));
    try {
      cpSync(WORLDS.demo, dir, { recursive: true });
      const world = JSON.parse(readFileSync(join(dir, 'world.json'), 'utf8'));
      world.policy.card_pin_required = true;
      writeFileSync(join(dir, 'world.json'), JSON.stringify(world));
      const scenario = scenarioSchema.parse({
        format: 'medpos-scenario/1',
        name: 'pin required',
        world: dir,
        now: '2026-11-20T10:00:00+08:00',
        steps: [
          { insert_card: { card_no: 'A00000002' }, expect: { card: null, 'card_error.code': 'pin_required', infcode: undefined } },
          { enter_pin: { pin: '135790' }, expect: { 'card.psn_name': '李建国', infcode: 0 } },
        ],
      });
      const lines: string[] = [];
      expect(await runScenario(scenario, '.', (l) => lines.push(l))).toEqual({ passed: 2, failed: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
