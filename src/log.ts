import { createRequire } from 'node:module';
import type { Logger } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const level = process.env.MEDPOS_LOG_LEVEL ?? 'warn';
const threshold = RANK[level] ?? RANK.warn!;

let pinoLogger: Logger | undefined;
/** pino is loaded on the first message that passes the level: a quiet `medpos call` never pays for it. */
function real(): Logger {
  if (!pinoLogger) {
    const pino = createRequire(import.meta.url)('pino') as typeof import('pino');
    pinoLogger = pino.pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
  }
  return pinoLogger;
}

function at(name: Level): Logger[Level] {
  return ((...args: Parameters<Logger[Level]>) => {
    if (RANK[name]! >= threshold) real()[name](...args);
  }) as Logger[Level];
}

/** Logs go to standard error only: standard output carries a command's result. */
export const log: Pick<Logger, Level> = {
  trace: at('trace'),
  debug: at('debug'),
  info: at('info'),
  warn: at('warn'),
  error: at('error'),
  fatal: at('fatal'),
};
