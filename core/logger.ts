import pino, { type Logger } from 'pino';

export type { Logger };

/** The engine's JSON logger; children carry tenant and workflow ids. */
export function createLogger(level: string, name = 'mailflow'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
