/**
 * STOMP frame model shared by the codec, the broker session and the load generator.
 * STOMP 1.2 spec: https://stomp.github.io/stomp-specification-1.2.html#STOMP_Frames
 */

/** Protocol versions we speak, in preference order (highest first). */
export const STOMP_VERSIONS = ['1.2', '1.1', '1.0'] as const;
export type StompVersion = (typeof STOMP_VERSIONS)[number];

/** Client frames (spec "Client Frames") and server frames (spec "Server Frames"). */
export const CLIENT_COMMANDS = [
  'CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK',
  'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT',
] as const;
export const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];
export type ServerCommand = (typeof SERVER_COMMANDS)[number];

/**
 * Headers as a null-prototype record. A repeated header keeps its first value
 * (spec 1.2 "Repeated Header Entries"). Insertion order is the wire order.
 */
export type Headers = Record<string, string>;

export interface Frame {
  command: string;
  headers: Headers;
  body: Buffer;
}

export function newHeaders(init?: Iterable<[string, string]>): Headers {
  const h = Object.create(null) as Headers;
  if (init) for (const [k, v] of init) if (!(k in h)) h[k] = v;
  return h;
}
