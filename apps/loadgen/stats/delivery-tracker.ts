/**
 * Loss / duplicate / order accounting for one receiving subscription.
 * Every payload carries (sender, seq) with seq = 0, 1, 2, … per sender. For each sender we keep
 * the contiguous prefix received so far plus the set of seqs seen beyond it, so memory stays
 * O(gaps) in the normal in-order case.
 *
 * - duplicated: a (sender, seq) seen before;
 * - out of order: a new seq lower than the highest seq already seen from that sender
 *   (per-sender order is a guarantee of our broker, apps/README.md "Guarantees", so this
 *   must stay 0 against it);
 * - lost is computed by the caller: expected − unique.
 */

interface SenderState {
  /** All seqs < next have been received. */
  next: number;
  /** Highest seq seen. */
  max: number;
  /** Seqs > next already received (only while there is a gap). */
  ahead: Set<number> | null;
  unique: number;
}

export type DeliveryVerdict = 'new' | 'duplicate' | 'out-of-order';

export class DeliveryTracker {
  received = 0;
  unique = 0;
  duplicated = 0;
  outOfOrder = 0;
  private readonly senders = new Map<number, SenderState>();

  record(sender: number, seq: number): DeliveryVerdict {
    this.received++;
    let s = this.senders.get(sender);
    if (!s) {
      s = { next: 0, max: -1, ahead: null, unique: 0 };
      this.senders.set(sender, s);
    }
    if (seq < s.next || (s.ahead !== null && s.ahead.has(seq))) {
      this.duplicated++;
      return 'duplicate';
    }
    const late = seq < s.max;
    if (seq === s.next) {
      s.next++;
      if (s.ahead !== null) {
        while (s.ahead.delete(s.next)) s.next++;
        if (s.ahead.size === 0) s.ahead = null;
      }
    } else {
      (s.ahead ??= new Set()).add(seq);
    }
    if (seq > s.max) s.max = seq;
    s.unique++;
    this.unique++;
    if (late) {
      this.outOfOrder++;
      return 'out-of-order';
    }
    return 'new';
  }

  /** Distinct messages received from one sender. */
  uniqueFrom(sender: number): number {
    return this.senders.get(sender)?.unique ?? 0;
  }
}
