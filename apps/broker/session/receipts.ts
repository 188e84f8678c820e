/**
 * RECEIPTs in the order their frames arrived (1.2 "RECEIPT": a receipt acknowledges the
 * frame and everything before it). A frame processed synchronously is ready at once; a
 * SEND waits for its offload confirm, a frame still being handled holds its place, and
 * every later receipt waits behind them.
 */
interface Entry {
  id: string;
  ready: boolean;
}

export class ReceiptQueue {
  private readonly queue: Entry[] = [];
  private drained: (() => void) | null = null;

  constructor(private readonly send: (receiptId: string) => void) {}

  /**
   * Add a receipt. With `after`, it is written once that promise resolves; if it rejects,
   * `onError` runs instead (the session then fails with ERROR carrying the receipt id).
   */
  add(id: string, after?: Promise<void>, onError?: (e: unknown) => void): void {
    if (!after && this.queue.length === 0) {
      this.send(id);
      this.checkDrained();
      return;
    }
    const entry: Entry = { id, ready: !after };
    this.queue.push(entry);
    if (after) {
      after.then(
        () => {
          entry.ready = true;
          this.flush();
        },
        (e) => onError?.(e),
      );
    }
  }

  /**
   * Hold a place for a receipt whose frame is still being handled; call the returned function
   * when it is due. Later receipts wait behind it.
   */
  reserve(id: string): () => void {
    const entry: Entry = { id, ready: false };
    this.queue.push(entry);
    return () => {
      entry.ready = true;
      this.flush();
    };
  }

  /** Run `fn` once every queued receipt has been written. */
  whenDrained(fn: () => void): void {
    this.drained = fn;
    this.checkDrained();
  }

  get pending(): number {
    return this.queue.length;
  }

  private flush(): void {
    while (this.queue.length > 0 && this.queue[0].ready) this.send(this.queue.shift()!.id);
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.queue.length === 0 && this.drained) {
      const fn = this.drained;
      this.drained = null;
      fn();
    }
  }
}
