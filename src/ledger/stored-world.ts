/**
 * The world as a ledger keeps it: the files as given (meta `world`) and, beside them, the world the
 * parser made of them (meta `world_parsed`), stamped with a hash of the parser's own code and of the
 * files. Opening a ledger then reads the validated world back instead of validating it again with zod
 * on every `medpos call`; a stamp that does not match (another medpos, other files) means a full parse.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWorld, type World } from '../core/world.ts';

export const PARSED_WORLD_KEY = 'world_parsed';

/** The modules whose code decides what parseWorld returns (world.ts and what it imports). */
const PARSER_MODULES = ['world', 'world-fields', 'world-inpatient', 'money'];

let parserHash: string | undefined;
function parserCode(): string {
  if (parserHash === undefined) {
    // the sources when run through tsx, the compiled files in dist/: each build stamps its own
    const ext = extname(fileURLToPath(import.meta.url));
    const h = createHash('sha256');
    for (const m of PARSER_MODULES) h.update(readFileSync(fileURLToPath(new URL(`../core/${m}${ext}`, import.meta.url))));
    parserHash = h.digest('hex');
  }
  return parserHash;
}

function stamp(rawJson: string): string {
  return createHash('sha256').update(parserCode()).update(rawJson).digest('hex');
}

/** What to store under PARSED_WORLD_KEY beside `rawJson` (the files as stored under `world`). */
export function parsedWorldMeta(rawJson: string, world: World): string {
  return JSON.stringify({ stamp: stamp(rawJson), world });
}

/** The world of a ledger: the stored parse when its stamp matches, else the files parsed again. */
export function worldFromMeta(rawJson: string, parsedMeta: string | undefined): World {
  if (parsedMeta !== undefined) {
    const stored = JSON.parse(parsedMeta) as { stamp?: string; world?: World };
    if (stored.stamp === stamp(rawJson) && stored.world) return stored.world;
  }
  return parseWorld(JSON.parse(rawJson));
}
