/** ServiceHandle for a server the harness runs itself (see service-handle.ts). */
import { rmSync, readFileSync, existsSync } from 'node:fs';
import { trackDir, untrackDir, type GroupProcess } from './process-group';
import type { ServiceHandle } from './service-handle';

export interface ServiceDriver {
  name: string;
  url: string;
  port: number;
  /** Temp dir holding data, config and logs; deleted by stop(). */
  dir: string;
  logFile: string;
  spawn(): GroupProcess;
  /** Resolve once the service answers (throw with the log tail on failure). */
  waitReady(proc: GroupProcess): Promise<void>;
  /** Graceful stop: signal and whether to signal the whole group. */
  haltSignal: NodeJS.Signals;
  haltGroup: boolean;
  /** Extra processes to end on stop() (e.g. RabbitMQ's private epmd). */
  onStop?(): Promise<void>;
}

export class ManagedService implements ServiceHandle {
  readonly external = false;
  startMs = 0;
  private proc: GroupProcess | null = null;
  private stopped = false;

  constructor(private readonly d: ServiceDriver) {
    trackDir(d.dir);
  }

  get name() {
    return this.d.name;
  }
  get url() {
    return this.d.url;
  }
  get port() {
    return this.d.port;
  }
  get pid() {
    return this.proc?.running ? this.proc.pid : null;
  }
  get dir() {
    return this.d.dir;
  }

  /** Last `bytes` of the service's log, for error messages. */
  logTail(bytes = 4000): string {
    if (!existsSync(this.d.logFile)) return '';
    const s = readFileSync(this.d.logFile, 'utf8');
    return s.slice(-bytes);
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error(`${this.d.name} was stopped for good`);
    if (this.proc?.running) return;
    const t0 = performance.now();
    const proc = this.d.spawn();
    this.proc = proc;
    try {
      await this.d.waitReady(proc);
    } catch (err) {
      await proc.kill().catch(() => {});
      throw err;
    }
    this.startMs = Math.round(performance.now() - t0);
  }

  async halt(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    await p.terminate(this.d.haltSignal, 20_000, this.d.haltGroup);
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    await p.kill();
  }

  async restart(): Promise<void> {
    await this.halt();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.halt();
      await this.d.onStop?.();
    } finally {
      rmSync(this.d.dir, { recursive: true, force: true });
      untrackDir(this.d.dir);
    }
  }
}

/** Start a new service; if that fails, stop it (freeing ports, processes, temp dir) and rethrow. */
export async function startOrDiscard<T extends ManagedService>(svc: T): Promise<T> {
  try {
    await svc.start();
  } catch (err) {
    await svc.stop().catch(() => {});
    throw err;
  }
  return svc;
}
