/**
 * Server-to-client WebSocket frame headers (RFC 6455 §5.2: FIN set, no mask). Writing
 * them ourselves lets a connection put a whole tick's worth of STOMP frames into one
 * buffer and one socket write, each still its own WebSocket message.
 */
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

export function wsHeaderLength(payload: number): number {
  return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
}

/** Write the header for one unfragmented frame at `offset`; returns the new offset. */
export function writeWsHeader(out: Buffer, offset: number, payload: number, opcode: number): number {
  out[offset] = 0x80 | opcode;
  if (payload < 126) {
    out[offset + 1] = payload;
    return offset + 2;
  }
  if (payload < 65536) {
    out[offset + 1] = 126;
    out.writeUInt16BE(payload, offset + 2);
    return offset + 4;
  }
  out[offset + 1] = 127;
  out.writeUInt32BE(Math.floor(payload / 2 ** 32), offset + 2);
  out.writeUInt32BE(payload >>> 0, offset + 6);
  return offset + 10;
}
