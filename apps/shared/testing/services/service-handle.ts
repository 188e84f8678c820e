/**
 * What every test-service helper returns (startPostgres / startRedis / startRabbitMQ).
 * A service started by the harness lives in a temp dir on free ports; `halt`/`kill` and
 * `start`/`restart` keep its port and data, so fault tests can take it away and bring it back.
 * A service named by an environment variable (TEST_DATABASE_URL, ...) is `external`: it is used
 * as is and cannot be stopped or killed (those calls throw), so fault tests should skip then.
 */
export interface ServiceHandle {
  readonly name: string;
  /** Connection URL (postgresql://, redis://, amqp://). */
  readonly url: string;
  readonly port: number;
  readonly external: boolean;
  /** PID of the server process (group leader) while running, else null. */
  readonly pid: number | null;
  /** Milliseconds the last start took until the service answered. */
  readonly startMs: number;
  /** Start again after halt/kill, same port and data; no-op when running. */
  start(): Promise<void>;
  /** Graceful shutdown, data kept (restart with start()). */
  halt(): Promise<void>;
  /** SIGKILL the server and all its children (a crash), data kept. */
  kill(): Promise<void>;
  /** halt (if running) + start. */
  restart(): Promise<void>;
  /** Final: stop the process(es) and delete the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export class ExternalServiceError extends Error {
  constructor(name: string, op: string) {
    super(`${name} is an external service (from the environment): cannot ${op} it`);
  }
}
