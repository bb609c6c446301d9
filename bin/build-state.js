// Whether dist/ (written by `npm run build`, dist/BUILD last) is current: used by bin/medpos.js to
// choose compiled code or the sources, and by scripts/build.mjs --if-stale (scripts/start.sh).
import { existsSync, readdirSync, statSync } from 'node:fs';

export const ROOT = new URL('..', import.meta.url).pathname;

/** Newest modification time of a file under dir, in ms. */
function newest(dir) {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return max;
}

export function builtIsCurrent() {
  const stamp = `${ROOT}dist/BUILD`;
  if (!existsSync(stamp)) return false;
  if (!existsSync(`${ROOT}src`)) return true; // an installed package: dist only
  const built = statSync(stamp).mtimeMs;
  return newest(`${ROOT}src`) <= built && newest(`${ROOT}drivers`) <= built;
}
