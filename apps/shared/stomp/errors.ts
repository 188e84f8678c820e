/**
 * Typed protocol errors raised by the codec and the session. `code` is a short token
 * safe to put in an ERROR frame's `message` header (no spaces or colons, so
 * StompProtocolAndroid can parse it); `detail` is the human text for the ERROR body.
 */
export type ProtocolErrorCode =
  | 'frame-too-large'
  | 'body-too-large'
  | 'too-many-headers'
  | 'header-line-too-long'
  | 'bad-escape'
  | 'bad-header'
  | 'bad-command'
  | 'bad-content-length'
  | 'missing-nul'
  | 'not-connected'
  | 'already-connected'
  | 'version-mismatch'
  | 'missing-header'
  | 'duplicate-subscription'
  | 'unknown-subscription'
  | 'unknown-transaction'
  | 'duplicate-transaction'
  | 'unknown-ack'
  | 'too-many-subscriptions'
  | 'too-many-transactions'
  | 'transaction-too-large'
  | 'bad-header-value'
  | 'offload-full'
  | 'offload-failed'
  | 'slow-consumer'
  | 'heartbeat-timeout'
  | 'forbidden'
  | 'bad-destination'
  | 'access-unavailable'
  | 'unauthenticated'
  | 'token-expired'
  | 'history-failed'
  | 'subscribe-failed'
  | 'too-many-pending-frames'
  | 'shutting-down'
  | 'bad-encoding'
  | 'frame-timeout'
  | 'bad-websocket-frame'
  | 'internal-error';

export class StompProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** Extra headers for the ERROR frame (for example `version` on a negotiation failure). */
  readonly headers: Record<string, string>;
  /**
   * The `receipt` header of the frame that failed to parse, when it could still be read
   * (1.2 "ERROR": the server SHOULD set `receipt-id` if the bad frame had a receipt).
   */
  receiptId?: string;
  constructor(code: ProtocolErrorCode, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'StompProtocolError';
    this.code = code;
    this.headers = headers;
  }
}
