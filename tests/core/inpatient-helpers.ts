/** Helpers of the inpatient core tests: upload lines as 2301 would, over lines a test keeps. */
import { planUpload, type StoredFeeLine, type StoredLines, type UploadLine } from '../../src/core/fee-lines.ts';
import type { WorldIndex } from '../../src/core/world.ts';

export const EXAMPLE_I = 'fixtures/worlds/example-i';
export const DATE = '2026-11-20';

export function upload(sn: string, code: string, pric: number, cnt: number, init?: string, mdtrt_id = 'M1'): UploadLine {
  const pricE4 = Math.round(pric * 10_000);
  const cntE4 = Math.round(cnt * 10_000);
  return { mdtrt_id, feedetl_sn: sn, med_list_codg: code, pricE4, cntE4, amount: Math.round(pric * cnt * 100), init_feedetl_sn: init };
}

/** A StoredLines over lines already kept, as the ledger would answer. */
export function storedOver(lines: readonly StoredFeeLine[]): StoredLines {
  return {
    line: (m, sn) => lines.find((l) => l.mdtrt_id === m && l.feedetl_sn === sn),
    refundedCntE4: (m, sn) => lines.filter((l) => l.mdtrt_id === m && l.live && l.init_feedetl_sn === sn).reduce((s, l) => s - l.cntE4, 0),
  };
}

export function uploadAll(world: WorldIndex, lines: UploadLine[], existing: StoredFeeLine[] = [], date = DATE): StoredFeeLine[] {
  return planUpload(lines, storedOver(existing), (c) => world.catalog.get(c), date);
}

