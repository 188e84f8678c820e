/**
 * What a frame handler returns (see Session.run): nothing when the frame is done, the
 * offload's confirm when only its receipt must wait, or a Blocking when the handler itself is
 * waiting and later frames of the connection must wait behind it.
 */

/** A confirm the frame's receipt must still wait for, once the blocking part is done. */
export interface Confirmation {
  confirmed: Promise<void>;
}

export class Blocking {
  /**
   * @param until settles when the handler is done waiting; it may yield a Confirmation (a
   * SEND whose access check had to look something up still waits for its offload confirm).
   * A wrapper, not a bare promise: a promise resolved with a promise adopts it, which would
   * hold later frames until the confirm.
   */
  constructor(readonly until: Promise<Confirmation | void>) {}
}

export type HandlerResult = void | Promise<void> | Blocking;
