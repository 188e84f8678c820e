/**
 * The body every SEND carries: `<runId>|<sender>|<seq>|<sentAtMicros>|` padded to the
 * requested size. The receiver gets end-to-end latency from the embedded timestamp and
 * loss/duplicate/order from (sender, seq); `runId` keeps runs sharing a broker apart.
 * Timestamps come from `performance.now()` of the thread that owns both the sender and
 * its room's members (rooms never span worker threads), so no clock sync is needed.
 */
export interface Payload {
  sender: number;
  seq: number;
  sentAtUs: number;
}

const PAD = 0x78; // 'x'

export function encodePayload(runId: string, sender: number, seq: number, sentAtUs: number, size: number): Buffer {
  const head = `${runId}|${sender}|${seq}|${Math.round(sentAtUs)}|`;
  const n = Math.max(size, head.length);
  const out = Buffer.allocUnsafe(n);
  out.write(head, 0, 'latin1');
  if (n > head.length) out.fill(PAD, head.length);
  return out;
}

/**
 * Reads payloads of one run straight from the bytes (no string allocation on the hot path).
 * `decode` fills and returns one reused object: read it before the next call.
 */
export class PayloadDecoder {
  private readonly tag: Buffer;
  private readonly out: Payload = { sender: 0, seq: 0, sentAtUs: 0 };

  constructor(runId: string) {
    this.tag = Buffer.from(`${runId}|`, 'latin1');
  }

  /** null when the body is not one of this run's payloads. */
  decode(body: Buffer): Payload | null {
    const t = this.tag;
    if (body.length < t.length + 6 || body.compare(t, 0, t.length, 0, t.length) !== 0) return null;
    let i = t.length;
    const fields = [0, 0, 0];
    for (let f = 0; f < 3; f++) {
      let n = 0;
      const start = i;
      let c: number;
      while (i < body.length && (c = body[i]) >= 0x30 && c <= 0x39) {
        n = n * 10 + (c - 0x30);
        i++;
      }
      if (i === start || i >= body.length || body[i] !== 0x7c) return null; // digits then '|'
      fields[f] = n;
      i++;
    }
    this.out.sender = fields[0];
    this.out.seq = fields[1];
    this.out.sentAtUs = fields[2];
    return this.out;
  }
}

/** Microseconds on this thread's monotonic clock. */
export function nowUs(): number {
  return performance.now() * 1000;
}
