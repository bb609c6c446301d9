// `npm run build`: compiles src/ and drivers/ to dist/ with tsc, copies the cashier page's static
// assets beside the compiled server, writes the help listing, and writes dist/BUILD last so that
// bin/medpos.js can tell a complete, current build from a stale one. `--if-stale`: only when needed.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { builtIsCurrent, ROOT } from '../bin/build-state.js';

if (process.argv.includes('--if-stale') && builtIsCurrent()) process.exit(0);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(`${ROOT}dist/BUILD`, { force: true }); // first: from now on bin/medpos.js runs the sources
rmSync(`${ROOT}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', `${ROOT}tsconfig.build.json`], { stdio: ['ignore', 2, 2] });
bundleZod();
mkdirSync(`${ROOT}dist/src/terminal`, { recursive: true });
cpSync(`${ROOT}src/terminal/public`, `${ROOT}dist/src/terminal/public`, { recursive: true });
// The help listing, from the compiled commands themselves (src/cli/main.ts prints it for --help).
const help = execFileSync(process.execPath, [`${ROOT}dist/src/cli/main.js`, '--help'], { env: { ...process.env, MEDPOS_HELP_LIVE: '1' } });
writeFileSync(`${ROOT}dist/cli-help.txt`, help);
writeFileSync(`${ROOT}dist/BUILD`, `${new Date().toISOString()}\n`);

/**
 * zod as one file in dist/vendor: its ~95 modules (64 of them locales) cost `medpos call` more to
 * resolve and load one by one than to run, so the compiled code imports the bundle instead.
 */
function bundleZod() {
  const require = createRequire(import.meta.url);
  const out = `${ROOT}dist/vendor/zod.js`;
  require('esbuild').buildSync({
    stdin: { contents: "export * from 'zod'; export { z, z as default } from 'zod';", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: out,
    logLevel: 'warning',
  });
  cpSync(`${dirname(require.resolve('zod/package.json'))}/LICENSE`, `${ROOT}dist/vendor/zod.LICENSE`);
  for (const dir of ['src', 'drivers']) {
    for (const entry of readdirSync(`${ROOT}dist/${dir}`, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
      const file = join(entry.parentPath, entry.name);
      const code = readFileSync(file, 'utf8');
      const to = relative(dirname(file), out);
      const rewritten = code.replace(/(from\s*|import\s*\(\s*)(['"])zod\2/g, (_m, lead, q) => `${lead}${q}${to.startsWith('.') ? to : `./${to}`}${q}`);
      if (rewritten !== code) writeFileSync(file, rewritten);
    }
  }
}
