/**
 * The built package: `npm pack` (which builds dist/ first), `npm install -g` of the tarball into a
 * fresh prefix, then the installed `medpos` run from another directory: --help, init + call, and the
 * terminal serving its page and assets. Nothing of TypeScript is installed (no tsx), so this is the
 * compiled JavaScript.
 *
 * The package is packed from a copy of this checkout (its files as they are now, with its
 * node_modules linked in), so that the build `npm pack` runs never replaces the dist/ other tests use.
 *
 * Dependencies come from the registry through npm's cache (--prefer-offline: no network when the
 * cache holds them). Install scripts are not run (they would compile better-sqlite3 from source for
 * minutes on a small machine); instead the native builds of this checkout's node_modules are copied
 * in for packages of the same version, and any other version is rebuilt with `npm rebuild`.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const NATIVE = ['better-sqlite3', 'pcsclite'];
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

describe('the npm package', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'medpos-pack-'));
  const prefix = join(work, 'prefix');
  const elsewhere = join(work, 'elsewhere');
  const bin = join(prefix, 'bin', 'medpos');
  const installed = join(prefix, 'lib', 'node_modules', 'medpos');
  const env = { ...process.env, MEDPOS_NOW: '2026-11-20T10:00:00+08:00', MEDPOS_DB: '', PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };

  beforeAll(() => {
    const source = join(work, 'source');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(source, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
    const tarball = npm(['pack', '--silent', '--pack-destination', work], source).trim().split('\n').pop()!;
    npm(['install', '-g', join(work, tarball), '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], work);
    for (const name of NATIVE) {
      const mine = join(ROOT, 'node_modules', name);
      const theirs = join(installed, 'node_modules', name);
      if (!existsSync(theirs)) continue;
      if (existsSync(join(mine, 'build')) && version(mine) === version(theirs)) cpSync(join(mine, 'build'), join(theirs, 'build'), { recursive: true });
      else npm(['rebuild', name], installed);
    }
    mkdirSync(elsewhere);
  }, 280_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds the compiled code, the page and the fixtures, and no TypeScript tooling', () => {
    expect(existsSync(join(installed, 'dist/src/cli/main.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/src/terminal/public/app.js'))).toBe(true);
    expect(existsSync(join(installed, 'fixtures/worlds/demo/world.json'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules/typescript'))).toBe(false);
  });

  it('runs --help, init and call from another directory', () => {
    const help = spawnSync(bin, ['--help'], { cwd: elsewhere, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('call [options] <infno>');
    const init = spawnSync(bin, ['init', '--db', 'x.db', '--world', join(installed, 'fixtures/worlds/demo')], { cwd: elsewhere, env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ persons: 25 });
    const input = JSON.stringify({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: '44030619900218071X', psn_cert_type: '01', certno: '44030619900218071X' } });
    const call = spawnSync(bin, ['call', '1101', '--db', 'x.db'], { cwd: elsewhere, env, encoding: 'utf8', input });
    expect(call.status, call.stderr).toBe(0);
    const response = JSON.parse(call.stdout) as { infcode: number; output: { baseinfo: { psn_name: string } } };
    expect(response.infcode).toBe(0);
    expect(response.output.baseinfo.psn_name).toBe('刘洋');
    expect(call.stderr).toBe('');
  });

  it('serves the cashier page and its assets from `medpos terminal`', async () => {
    const term = spawn(bin, ['terminal', '--db', join(elsewhere, 't.db'), '--world', join(installed, 'fixtures/worlds/demo'), '--port', '0'], { cwd: elsewhere, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        term.stderr!.on('data', (d: Buffer) => (err += d));
        term.stdout!.on('data', (d: Buffer) => {
          out += d;
          const m = /^(http:\/\/\S+)\n/m.exec(out);
          if (m) resolve(m[1]!);
        });
        term.once('close', (code) => reject(new Error(`the terminal exited (${code}): ${err}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/app.js');
      for (const asset of ['/app.js', '/wedge.js', '/app.css']) expect((await fetch(new URL(asset, url))).status).toBe(200);
    } finally {
      term.kill('SIGTERM');
      await new Promise((r) => term.once('close', r));
    }
    expect(readdirSync(elsewhere)).toContain('t.db');
  });
});
