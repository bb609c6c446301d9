/**
 * Progress of long work on standard error (results stay on standard output): a live line, redrawn
 * in place at most ten times a second, when standard error is a terminal; otherwise a plain line
 * every few seconds (MEDPOS_PROGRESS_MS, default 5000), and none at all for work shorter than that.
 * Used by `medpos replay`, `npm run crash` and `npm run bench`.
 */

export interface Progress {
  /** n more units done (default 1); `note` says what is being done now. */
  tick(n?: number, note?: string): void;
  /** What is being done now, without a unit done. */
  note(text: string): void;
  /** A line of its own (a log line, a figure), above the live line. */
  print(text: string): void;
  /** Ends the line: a live line is cleared; in plain mode a last line follows earlier ones. */
  done(): void;
}

export interface ProgressOptions {
  /** How many units in all, when known. */
  total?: number;
  stream?: NodeJS.WriteStream;
  /** Between plain lines, ms. */
  intervalMs?: number;
}

const LIVE_MS = 100;

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function startProgress(label: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const live = stream.isTTY === true;
  const intervalMs = opts.intervalMs ?? (Number(process.env.MEDPOS_PROGRESS_MS) || 5000);
  const started = Date.now();
  let done = 0;
  let current = '';
  let lastDraw = 0;
  let printedPlain = false;
  let finished = false;

  const line = () => {
    const count = opts.total !== undefined ? `${done}/${opts.total}` : String(done);
    return `${label}: ${count}${current ? ` ${current}` : ''} (${seconds(Date.now() - started)})`;
  };
  const draw = (force: boolean) => {
    const now = Date.now();
    if (live) {
      if (!force && now - lastDraw < LIVE_MS) return;
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r${line().slice(0, width)}\x1b[K`);
    } else {
      if (now - started < intervalMs || now - lastDraw < intervalMs) return;
      stream.write(`${line()}\n`);
      printedPlain = true;
    }
    lastDraw = now;
  };
  // A plain line also comes while one unit takes long (a figure of the bench, say).
  const timer = live ? undefined : setInterval(() => draw(false), intervalMs);
  timer?.unref();

  return {
    tick(n = 1, note) {
      done += n;
      if (note !== undefined) current = note;
      draw(false);
    },
    note(text) {
      current = text;
      draw(live);
    },
    print(text) {
      if (live && !finished) {
        stream.write(`\r\x1b[K${text}\n`);
        draw(true);
      } else stream.write(`${text}\n`);
    },
    done() {
      if (finished) return;
      finished = true;
      if (timer) clearInterval(timer);
      if (live) stream.write('\r\x1b[K');
      else if (printedPlain) stream.write(`${line()} done\n`);
    },
  };
}
