/**
 * pino logger shared by every process: JSON lines on stdout, for machines. A developer
 * watching a terminal gets pino-pretty's readable lines instead; pino-pretty is loaded only
 * then, so production (the Docker image), CI and tests never need it.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** Readable lines only for a person at a terminal in development; JSON everywhere else. */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv = process.env, isTTY: boolean = process.stdout.isTTY === true): boolean {
  return isTTY && env.NODE_ENV !== 'production' && !env.CI && !env.VITEST;
}

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'stompbox'): Logger {
  const pretty = wantsPrettyLogs() ? prettyStream() : null;
  return pretty ? pino({ name, level }, pretty) : pino({ name, level });
}

/** null when pino-pretty is not installed (a development dependency): then JSON, as in production. */
function prettyStream(): DestinationStream | null {
  let pretty: typeof PinoPretty;
  try {
    // Required on demand (pino-pretty is CommonJS): a static import would make every process load it.
    pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  } catch {
    return null;
  }
  // sync: each line is written before the signal drain's process.exit(); pino's `transport`
  // option would format in a worker thread and can lose the last lines at exit.
  return pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}
