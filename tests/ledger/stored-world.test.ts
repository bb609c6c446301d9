/** The validated world a ledger stores beside the files, read back at open instead of parsed again. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorld, readWorldFiles } from '../../src/core/world.ts';
import { SqliteLedger } from '../../src/ledger/sqlite.ts';
import { PARSED_WORLD_KEY, parsedWorldMeta, worldFromMeta } from '../../src/ledger/stored-world.ts';
import { newPlatformKey } from '../../src/platform/ecert.ts';

const dir = mkdtempSync(join(tmpdir(), 'medpos-stored-world-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stored world', () => {
  it('reads back equal to a fresh parse, for every shipped world', () => {
    for (const w of ['demo', 'example-h', 'example-i', 'example-p']) {
      const raw = readWorldFiles(join('fixtures/worlds', w));
      const rawJson = JSON.stringify(raw);
      const world = parseWorld(raw);
      expect(isDeepStrictEqual(worldFromMeta(rawJson, parsedWorldMeta(rawJson, world)), parseWorld(JSON.parse(rawJson))), w).toBe(true);
    }
  });

  it('is trusted at open only while its stamp matches the files and the parser', async () => {
    const path = join(dir, 'l.db');
    const raw = readWorldFiles('fixtures/worlds/demo');
    const ledger = new SqliteLedger(path);
    await ledger.loadWorld(raw, parseWorld(raw), 2026, newPlatformKey());
    const name = ledger.world().data.persons[0]!.baseinfo.psn_name;
    const stored = JSON.parse(ledger.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(PARSED_WORLD_KEY) as string) as { stamp: string; world: ReturnType<typeof parseWorld> };
    await ledger.close();

    const rewrite = (value: unknown) => {
      const l = new SqliteLedger(path);
      l.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(JSON.stringify(value), PARSED_WORLD_KEY);
      return l.close();
    };
    const nameAtOpen = async () => {
      const l = new SqliteLedger(path);
      try {
        return l.world().data.persons[0]!.baseinfo.psn_name;
      } finally {
        await l.close();
      }
    };
    // a marked copy under the right stamp is what opening reads: no parse
    stored.world.persons[0]!.baseinfo.psn_name = 'MARKED';
    await rewrite(stored);
    expect(await nameAtOpen()).toBe('MARKED');
    // under another stamp (another medpos, other files) the files are parsed again
    await rewrite({ ...stored, stamp: 'another parser' });
    expect(await nameAtOpen()).toBe(name);
  });
});
