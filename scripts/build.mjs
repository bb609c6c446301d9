// `npm run build`: compiles src/ and drivers/ to dist/ with tsc, copies the cashier page's static
// assets beside the compiled server, writes the help listing, and writes dist/BUILD last so that
// bin/medpos.js can tell a complete, current build from a stale one. `--if-stale`: only when needed.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { builtIsCurrent, ROOT } from '../bin/build-state.js';

if (process.argv.includes('--if-stale') && builtIsCurrent()) process.exit(0);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(`${ROOT}dist/BUILD`, { force: true }); // first: from now on bin/medpos.js runs the sources
rmSync(`${ROOT}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', `${ROOT}tsconfig.build.json`], { stdio: ['ignore', 2, 2] });
mkdirSync(`${ROOT}dist/src/terminal`, { recursive: true });
cpSync(`${ROOT}src/terminal/public`, `${ROOT}dist/src/terminal/public`, { recursive: true });
// The help listing, from the compiled commands themselves (src/cli/main.ts prints it for --help).
const help = execFileSync(process.execPath, [`${ROOT}dist/src/cli/main.js`, '--help'], { env: { ...process.env, MEDPOS_HELP_LIVE: '1' } });
writeFileSync(`${ROOT}dist/cli-help.txt`, help);
writeFileSync(`${ROOT}dist/BUILD`, `${new Date().toISOString()}\n`);
