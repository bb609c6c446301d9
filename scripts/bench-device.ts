/**
 * The device figures of `npm run bench`, each in a child process of its own under a watchdog: a
 * device that stops answering (a PC/SC call that never returns, a pty that goes quiet) fails that
 * figure with a message after `timeoutMs`, and the bench goes on with the rest.
 * The child is the figure's stand-alone mode (`node --import tsx scripts/bench-card.ts [--quick]`),
 * which prints its result as one JSON line on standard output.
 */
import { spawn } from 'node:child_process';

export type DeviceFigure = Record<string, unknown> & { skipped?: string; failed?: string };

export function runDeviceFigure(script: string, quick: boolean, timeoutMs: number): Promise<DeviceFigure> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const watchdog = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(watchdog);
      resolve({ failed: `${script} could not start: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      // What stderr says: the error line of an uncaught exception, else its last lines.
      const lines = err.trim().split('\n');
      const tail = (lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.slice(-3).join(' ')).slice(0, 400);
      if (timedOut) return resolve({ failed: `${script}: the device stopped answering; killed after ${Math.round(timeoutMs / 1000)} s${tail ? ` (${tail})` : ''}` });
      if (code !== 0) return resolve({ failed: `${script} exited with ${code ?? signal}${tail ? `: ${tail}` : ''}` });
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as DeviceFigure);
      } catch {
        resolve({ failed: `${script} printed no result${tail ? `: ${tail}` : ''}` });
      }
    });
  });
}
