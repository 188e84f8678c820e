/**
 * Runs asynchronous operations one at a time per key, in the order they were queued; different
 * keys run independently. The hub uses it to serialise the first-subscriber / last-unsubscribe
 * hooks of one destination, so that a quick subscribe / unsubscribe / subscribe sequence
 * cannot reorder a bind and an unbind (the race that loses or doubles cluster messages).
 */
const noop = () => {};

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** True while an operation for `key` is queued or running. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Queue `op` behind every earlier operation of `key`; resolves or rejects with its result. */
  run<T>(key: string, op: () => T | Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(op);
    const tail = result.then(noop, noop);
    this.tails.set(key, tail);
    tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every operation queued so far for `key` has settled. */
  settled(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }

  get size(): number {
    return this.tails.size;
  }
}
