import { z } from 'zod';

/**
 * The clock everything reads. `MEDPOS_NOW` (ISO 8601 with offset) pins it; its offset is the local
 * time zone for dates and times on the wire. Without it: the real time, in China Standard Time.
 */
export interface Clock {
  now(): Date;
  /** Minutes east of UTC for local dates and times. */
  readonly offsetMinutes: number;
}

const CST = 480;
const iso = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'must be ISO 8601 with an offset, e.g. 2026-11-22T09:30:00+08:00')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a real time');

export function parseOffset(s: string): number {
  if (s.endsWith('Z')) return 0;
  const m = /([+-])(\d{2}):(\d{2})$/.exec(s)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** A clock pinned at `iso` (MEDPOS_NOW) that a tester may move. */
export class FixedClock implements Clock {
  private at: number;
  readonly offsetMinutes: number;
  constructor(isoTime: string) {
    const r = iso.safeParse(isoTime);
    if (!r.success) throw new Error(`MEDPOS_NOW ${r.error.issues[0]!.message}`);
    this.at = Date.parse(isoTime);
    this.offsetMinutes = parseOffset(isoTime);
  }
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
  /** Moves the clock to another instant; the offset stays. */
  set(isoTime: string): void {
    const r = iso.safeParse(isoTime);
    if (!r.success) throw new Error(`time ${r.error.issues[0]!.message}`);
    this.at = Date.parse(isoTime);
  }
}

export const systemClock: Clock = { now: () => new Date(), offsetMinutes: CST };

export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  return env.MEDPOS_NOW ? new FixedClock(env.MEDPOS_NOW) : systemClock;
}

/** Local wall-clock parts of an instant at an offset. */
function local(d: Date, offsetMinutes: number) {
  const t = new Date(d.getTime() + offsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${t.getUTCFullYear()}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}`,
    time: `${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`,
    ms: p(t.getUTCMilliseconds(), 3),
  };
}

/** One instant in every format the wire uses, taken once per request so its times agree. */
export interface Stamp {
  /** yyyy-MM-dd */
  readonly date: string;
  /** yyyy-MM-dd HH:mm:ss */
  readonly time: string;
  /** yyyyMMddHHmmss */
  readonly compact: string;
  /** yyyyMMddHHmmssSSS */
  readonly compactMs: string;
  readonly year: number;
}

export function stamp(clock: Clock): Stamp {
  const d = clock.now();
  const key = d.getTime() + clock.offsetMinutes * 60_000;
  if (key === lastStamp.key) return lastStamp.stamp; // requests within one millisecond share it
  const l = local(d, clock.offsetMinutes);
  const compact = (l.date + l.time).replace(/[-:]/g, '');
  const s = { date: l.date, time: `${l.date} ${l.time}`, compact, compactMs: compact + l.ms, year: Number(l.date.slice(0, 4)) };
  lastStamp = { key, stamp: s };
  return s;
}
let lastStamp: { key: number; stamp: Stamp } = { key: Number.NaN, stamp: undefined as never };

/** yyyy-MM-dd */
export function localDate(clock: Clock): string {
  return local(clock.now(), clock.offsetMinutes).date;
}

/** yyyy-MM-dd HH:mm:ss */
export function localDateTime(clock: Clock): string {
  const l = local(clock.now(), clock.offsetMinutes);
  return `${l.date} ${l.time}`;
}

/** yyyyMMddHHmmss, and with `withMs` yyyyMMddHHmmssSSS. */
export function compactTime(clock: Clock, withMs = false): string {
  const l = local(clock.now(), clock.offsetMinutes);
  return (l.date + l.time).replace(/[-:]/g, '') + (withMs ? l.ms : '');
}
