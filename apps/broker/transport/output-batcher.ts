/**
 * Batches outgoing writes per event-loop turn, one syscall per connection rather than one
 * per message: connections with queued frames are flushed together from one setImmediate,
 * each inside socket cork/uncork so many WebSocket messages leave in one writev.
 */
export interface Flushable {
  flush(): void;
}

export class OutputBatcher {
  private pending: Flushable[] = [];
  private scheduled = false;

  schedule(c: Flushable): void {
    this.pending.push(c);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const list = this.pending;
    this.pending = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  };
}
