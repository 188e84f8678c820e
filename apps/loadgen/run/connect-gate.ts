/**
 * Limits new connections: at most `concurrency` handshakes in progress and, when
 * `perSec` > 0, starts spaced 1/perSec apart (the ramp-up). Without it 10,000 simultaneous
 * SYNs overflow the listen backlog and the run measures SYN retransmits instead of the broker.
 */
export class ConnectGate {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private nextAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly concurrency: number, private readonly perSec: number) {}

  /** Wait for a slot; call the returned function when the handshake has finished. */
  async acquire(): Promise<() => void> {
    await new Promise<void>((resolve) => {
      this.queue.push(resolve);
      this.pump();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.pump();
    };
  }

  /** Wake every waiter (used on abort; they then see the abort flag and give up). */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length) {
      this.active++;
      this.queue.shift()!();
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.active < this.concurrency) {
      if (this.perSec > 0) {
        const now = performance.now();
        if (now < this.nextAt) {
          this.timer ??= setTimeout(() => {
            this.timer = null;
            this.pump();
          }, this.nextAt - now);
          return;
        }
        this.nextAt = Math.max(now, this.nextAt) + 1000 / this.perSec;
      }
      this.active++;
      this.queue.shift()!();
    }
  }
}
