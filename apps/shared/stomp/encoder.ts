/**
 * STOMP frame serialisation. `encodeFrame` writes any frame; `MessageTemplate` is the
 * hot path, so that fan-out costs one encoding per message rather than one per subscriber:
 * a MESSAGE is serialised once per destination and output variant, and each delivery only
 * splices in the per-subscription headers (`subscription`, `ack`) between a shared prefix
 * and suffix.
 */
import { isUtf8 } from 'node:buffer';
import { escapeHeader, escapeModeFor, type EscapeMode } from './escape';
import type { StompVersion } from './frame';

const NUL_BUF = Buffer.from([0]);
const EMPTY = Buffer.alloc(0);

/**
 * Serialise one frame. Header values are escaped for `version` unless the command is
 * CONNECT/CONNECTED/STOMP (never escaped). No content-length is added: pass it in
 * `headers` when the body may contain NUL or the peer needs it.
 */
export function encodeFrame(
  command: string,
  headers: Record<string, string | number | undefined>,
  body: Buffer | string = EMPTY,
  version: StompVersion | null = '1.2',
): Buffer {
  const mode = escapeModeFor(version, command);
  let head = command + '\n';
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    head += escapeHeader(name, mode) + ':' + escapeHeader(String(v), mode) + '\n';
  }
  head += '\n';
  const bodyBuf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + bodyBuf.length + 1);
  out.write(head, 0, 'utf8');
  bodyBuf.copy(out, headLen);
  out[out.length - 1] = 0;
  return out;
}

/** A heart-beat: one EOL, sent as its own WebSocket message (Android counts exactly "\n"). */
export const HEARTBEAT = Buffer.from('\n');

/**
 * One MESSAGE, serialised once: everything but the per-delivery headers. `deliver`
 * builds the bytes for one subscriber with a single allocation and two copies.
 */
export class MessageTemplate {
  /** "MESSAGE\n" + shared headers + content-length line. */
  readonly prefix: Buffer;
  /** "\n" + body + NUL. */
  readonly suffix: Buffer;
  readonly mode: EscapeMode;
  /** The whole frame is valid UTF-8 (it may travel in a WebSocket text message). */
  readonly utf8: boolean;

  /**
   * @param headers MESSAGE headers in wire order (destination, message-id, content-type,
   *   user headers ...); `content-length` is appended from the body.
   */
  constructor(headers: Record<string, string>, body: Buffer, version: StompVersion) {
    this.mode = escapeModeFor(version, 'MESSAGE');
    let head = 'MESSAGE\n';
    for (const name in headers) {
      head += escapeHeader(name, this.mode) + ':' + escapeHeader(headers[name], this.mode) + '\n';
    }
    head += 'content-length:' + body.length + '\n';
    this.prefix = Buffer.from(head, 'utf8');
    const suffix = Buffer.allocUnsafe(body.length + 2);
    suffix[0] = 0x0a;
    body.copy(suffix, 1);
    suffix[suffix.length - 1] = 0;
    this.suffix = suffix;
    this.utf8 = isUtf8(body);
  }

  /** Bytes for one delivery; `perDelivery` is pre-encoded "subscription:..\n[ack:..\n]". */
  deliver(perDelivery: Buffer | string): Buffer {
    const p = this.prefix;
    const s = this.suffix;
    if (typeof perDelivery === 'string') {
      const n = Buffer.byteLength(perDelivery, 'utf8');
      const out = Buffer.allocUnsafe(p.length + n + s.length);
      p.copy(out, 0);
      out.write(perDelivery, p.length, 'utf8');
      s.copy(out, p.length + n);
      return out;
    }
    const out = Buffer.allocUnsafe(p.length + perDelivery.length + s.length);
    p.copy(out, 0);
    perDelivery.copy(out, p.length);
    s.copy(out, p.length + perDelivery.length);
    return out;
  }

  get size(): number {
    return this.prefix.length + this.suffix.length;
  }
}

/** Pre-encode the per-subscription header line once, when the subscription is made. */
export function subscriptionHeader(id: string, mode: EscapeMode): string {
  return 'subscription:' + escapeHeader(id, mode) + '\n';
}

export { NUL_BUF };
