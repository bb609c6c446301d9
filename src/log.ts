import pino from 'pino';

/** Logs go to standard error only: standard output carries a command's result. */
export const log = pino(
  { level: process.env.MEDPOS_LOG_LEVEL ?? 'warn', base: undefined },
  pino.destination({ fd: 2, sync: true }),
);
