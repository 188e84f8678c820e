/**
 * bench:idle's load generators: several processes (idle-clients.ts), each holding its share of
 * the connections from its own source address (127.0.0.2, .3, …), so no process nears its
 * open-file limit and no address runs out of ports. Stopped by PID; killed if this process exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromClients, IdleClientsArgs, ToClients } from './idle-clients';

type Opened = Extract<FromClients, { type: 'opened' }>;
export type ClientsReport = Extract<FromClients, { type: 'report' }>;

const ENTRY = fileURLToPath(new URL('./idle-clients.ts', import.meta.url));
/** Ports one source address has towards one server address (ip_local_port_range), with room to spare. */
export const PORTS_PER_ADDRESS = 27_000;

export class IdleFleet {
  private readonly procs: ChildProcess[] = [];
  private readonly progress: Array<{ open: number; failed: number }> = [];
  private readonly waiting = new Map<ChildProcess, (m: FromClients) => void>();

  constructor(shares: Array<Omit<IdleClientsArgs, 'localAddress'>>) {
    shares.forEach((share, i) => {
      const args: IdleClientsArgs = { ...share, localAddress: `127.0.0.${2 + i}` };
      const p = fork(ENTRY, [JSON.stringify(args)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.procs.push(p);
      this.progress.push({ open: 0, failed: 0 });
      p.on('message', (m: FromClients) => {
        if (m.type === 'progress') this.progress[i] = m;
        else this.waiting.get(p)?.(m);
      });
    });
    process.once('exit', () => this.kill());
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!).filter(Boolean);
  }

  /** Open and failed so far, over all processes. */
  get counts(): { open: number; failed: number } {
    return this.progress.reduce((a, p) => ({ open: a.open + p.open, failed: a.failed + p.failed }), { open: 0, failed: 0 });
  }

  /** Resolves when every process has opened its share (or given up on part of it). */
  opened(): Promise<Opened[]> {
    return Promise.all(this.procs.map((p, i) => this.next<Opened>(p, 'opened').then((m) => ((this.progress[i] = { open: m.open, failed: Object.values(m.failed).reduce((a, b) => a + b, 0) }), m))));
  }

  /** Stop opening: each process answers 'opened' once its handshakes in progress end. */
  enough(): void {
    this.tell({ type: 'enough' });
  }

  /** Start of the hold: every process resets its silence records. */
  hold(): void {
    this.tell({ type: 'hold' });
  }

  report(): Promise<ClientsReport[]> {
    const r = Promise.all(this.procs.map((p) => this.next<ClientsReport>(p, 'report')));
    this.tell({ type: 'report' });
    return r;
  }

  /** Ask every process to close its connections and exit; SIGKILL whatever is left after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    this.tell({ type: 'close' });
    const exits = this.procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r()))));
    const t = setTimeout(() => this.kill(), graceMs);
    await Promise.all(exits);
    clearTimeout(t);
  }

  private kill(): void {
    for (const p of this.procs) if (p.pid && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
  }

  private tell(m: ToClients): void {
    for (const p of this.procs) if (p.connected) p.send(m);
  }

  private next<T extends FromClients>(p: ChildProcess, type: T['type']): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`load generator ${p.pid} exited before '${type}'`));
      p.once('exit', onExit);
      this.waiting.set(p, (m) => {
        if (m.type !== type) return;
        p.off('exit', onExit);
        this.waiting.delete(p);
        resolve(m as T);
      });
    });
  }
}
