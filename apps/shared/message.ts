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
