/** pino logger shared by every process; JSON lines on stdout. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'stompbox'): Logger {
  return pino({ name, level });
}
