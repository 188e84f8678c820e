/**
 * Message ids (apps/README.md "Guarantees", order and identity): unique across nodes, sorting
 * by time as plain strings, and free of spaces and colons so every STOMP client (notably
 * StompProtocolAndroid, whose header regex rejects both) can read them.
 *
 * Layout: 9 base36 chars of milliseconds since the epoch, '-', 4 base36 chars of a
 * per-millisecond sequence, '-', the node id. Fixed widths keep lexicographic order equal
 * to (time, sequence) order. The clock never runs backwards inside one generator.
 */
const TIME_WIDTH = 9;
const SEQ_WIDTH = 4;
const SEQ_MAX = 36 ** SEQ_WIDTH - 1;

export class MessageIdGenerator {
  private lastMs = 0;
  private seq = 0;
  readonly nodeId: string;
  private readonly now: () => number;

  constructor(nodeId: string, now: () => number = Date.now) {
    if (!/^[A-Za-z0-9_.]{1,32}$/.test(nodeId)) throw new Error(`invalid node id "${nodeId}"`);
    this.nodeId = nodeId;
    this.now = now;
  }

  next(): string {
    let ms = this.now();
    if (ms <= this.lastMs) {
      ms = this.lastMs;
      if (this.seq >= SEQ_MAX) {
        // 1.6M ids in one millisecond: borrow the next millisecond rather than wrap.
        ms = this.lastMs + 1;
        this.seq = 0;
      } else this.seq++;
    } else this.seq = 0;
    this.lastMs = ms;
    return `${ms.toString(36).padStart(TIME_WIDTH, '0')}-${this.seq.toString(36).padStart(SEQ_WIDTH, '0')}-${this.nodeId}`;
  }
}

/** Milliseconds encoded in a message id, or NaN when it is not one of ours. */
export function messageIdTime(id: string): number {
  return parseInt(id.slice(0, TIME_WIDTH), 36);
}

export function randomNodeId(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, '0');
}
