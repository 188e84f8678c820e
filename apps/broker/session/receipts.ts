/**
 * RECEIPTs in the order their frames arrived (1.2 "RECEIPT": a receipt acknowledges the
 * frame and everything before it). A frame processed synchronously is ready at once; a
 * SEND waits for its offload confirm, a frame still being handled holds its place, and
 * every later receipt waits behind them.
 *
 * Cost stays linear in the number of receipts: offloads share one confirm promise per pack,
 * so consecutive receipts waiting for the same promise form one group with one handler, and
 * the queue is consumed by an index rather than Array#shift (which copies a large array).
 */
interface Group {
  ids: string[];
  ready: boolean;
}

export class ReceiptQueue {
  private queue: Group[] = [];
  private head = 0;
  private pendingIds = 0;
  /** The promise the last group waits for, while that group is still open to newcomers. */
  private lastAfter: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  constructor(private readonly send: (receiptId: string) => void) {}

  /**
   * Add a receipt. With `after`, it is written once that promise resolves; if it rejects,
   * `onError` runs instead (the session then fails with ERROR carrying the receipt id).
   */
  add(id: string, after?: Promise<void>, onError?: (e: unknown) => void): void {
    if (!after) {
      if (this.pendingIds === 0) {
        this.send(id);
        this.checkDrained();
        return;
      }
      this.push({ ids: [id], ready: true });
      return;
    }
    if (after === this.lastAfter) {
      // Same pack as the receipt before: ride on its group and its handler.
      this.queue[this.queue.length - 1].ids.push(id);
      this.pendingIds++;
      return;
    }
    const group: Group = { ids: [id], ready: false };
    this.push(group);
    this.lastAfter = after;
    after.then(
      () => {
        group.ready = true;
        if (this.lastAfter === after) this.lastAfter = null;
        this.flush();
      },
      (e) => {
        if (this.lastAfter === after) this.lastAfter = null;
        onError?.(e);
      },
    );
  }

  /**
   * Hold a place for a receipt whose frame is still being handled; call the returned function
   * when it is due. Later receipts wait behind it.
   */
  reserve(id: string): () => void {
    const group: Group = { ids: [id], ready: false };
    this.push(group);
    return () => {
      group.ready = true;
      this.flush();
    };
  }

  /** Run `fn` once every queued receipt has been written. */
  whenDrained(fn: () => void): void {
    this.drained = fn;
    this.checkDrained();
  }

  get pending(): number {
    return this.pendingIds;
  }

  private push(group: Group): void {
    this.queue.push(group);
    this.pendingIds += group.ids.length;
    // Only the newest group may take more receipts: joining an older one would reorder them.
    this.lastAfter = null;
  }

  private flush(): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head].ready) {
      const group = q[this.head++];
      this.pendingIds -= group.ids.length;
      for (const id of group.ids) this.send(id);
    }
    if (this.head === q.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.pendingIds === 0 && this.drained) {
      const fn = this.drained;
      this.drained = null;
      fn();
    }
  }
}
