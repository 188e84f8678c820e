/**
 * One chat message as the broker accepted it: what the offload carries, the store keeps and
 * history replays. Serialisable (queue/pack-codec.ts).
 */
export interface OutboundMessage {
  /** Broker message id: unique across nodes, sorts by time (apps/shared/message-id.ts). */
  id: string;
  destination: string;
  /** Room id when `destination` matches the room template, else null (plain pub/sub). */
  roomId: string | null;
  /** User id of the sender (JWT subject, or CONNECT login in development mode). */
  senderId: string;
  /** Id of the broker node that accepted it. */
  nodeId: string;
  /** Milliseconds since the epoch when the broker accepted it. */
  sentAt: number;
  /** `content-type` header of the SEND, if any. */
  contentType: string | null;
  /** User headers of the SEND (not destination/receipt/transaction/content-length/content-type). */
  headers: Record<string, string>;
  body: Buffer;
}

/** Fixed cost of one message object beside its body and headers (ids, strings, the object). */
const MESSAGE_OVERHEAD = 200;

/**
 * Bytes one message keeps alive while something holds it: body, headers and a fixed
 * overhead. An estimate for byte budgets (rings, backlogs, transactions), computed the same
 * way everywhere so adding and removing balance.
 */
export function heldBytes(m: OutboundMessage): number {
  let n = MESSAGE_OVERHEAD + m.body.length + m.destination.length + m.senderId.length;
  for (const name in m.headers) n += name.length + m.headers[name].length;
  return n;
}
