/** `medpos replay` over many files: one file at a time, with progress on standard error. */
import { replayPaths, scenarioFiles, type ReplayResult } from '../replay/replay.ts';
import { startProgress } from './progress.ts';

export async function replayFiles(paths: string[], report: (line: string) => void): Promise<ReplayResult> {
  // A path that cannot be listed is left to replayPaths, which reports it.
  const files = paths.flatMap((p) => {
    try {
      return scenarioFiles(p);
    } catch {
      return [p];
    }
  });
  const progress = startProgress('replay', { total: files.length });
  const total = { passed: 0, failed: 0 };
  try {
    for (const file of files) {
      progress.note(file);
      const r = await replayPaths([file], report);
      total.passed += r.passed;
      total.failed += r.failed;
      progress.tick();
    }
  } finally {
    progress.done();
  }
  return total;
}
