/**
 * The messages a writer stored, waiting to be counted, bounded by count and body bytes. A batch
 * that does not fit is refused whole (the caller counts it as skipped): counting is best effort
 * and must never hold the writer back.
 *
 * Bodies are held as the writer decoded them, which may share their stream entry's buffer; the
 * writer hands over all room messages of its entries at once, so the bytes counted here are
 * close to the bytes kept alive.
 */
import type { StoredText } from '../../shared/store/packed-rows';

export class CountingQueue {
  private batches: Array<readonly StoredText[]> = [];
  /** Messages of batches[0] already taken. */
  private offset = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** False (nothing queued) when the batch would pass either bound. */
  offer(batch: readonly StoredText[]): boolean {
    if (batch.length === 0) return true;
    let b = 0;
    for (const m of batch) b += m.body.length;
    if (this.count + batch.length > this.maxMessages || this.bytes + b > this.maxBytes) return false;
    this.batches.push(batch);
    this.count += batch.length;
    this.bytes += b;
    return true;
  }

  /** Up to `n` messages, oldest first. */
  take(n: number): StoredText[] {
    const out: StoredText[] = [];
    while (out.length < n && this.batches.length > 0) {
      const head = this.batches[0];
      const end = Math.min(head.length, this.offset + (n - out.length));
      for (let i = this.offset; i < end; i++) {
        out.push(head[i]);
        this.bytes -= head[i].body.length;
      }
      this.offset = end;
      if (end === head.length) {
        this.batches.shift();
        this.offset = 0;
      }
    }
    this.count -= out.length;
    return out;
  }

  clear(): number {
    const dropped = this.count;
    this.batches = [];
    this.offset = 0;
    this.count = 0;
    this.bytes = 0;
    return dropped;
  }
}
