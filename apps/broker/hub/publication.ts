/**
 * One routed message and its encodings: encode once, write many. A MESSAGE
 * is serialised at most once per output variant — escape rules of the subscriber's STOMP
 * version × full or restricted header set — however many subscribers receive it.
 */
import { MessageTemplate } from '../../shared/stomp/encoder';
import type { StompVersion } from '../../shared/stomp/frame';
import { heldBytes, type OutboundMessage } from '../../shared/message';
import { restrictedSafe } from '../session/negotiate';
import { shownDestination } from './user-destinations';

/** Header the broker stamps with the authenticated sender (client values are dropped). */
export const SENDER_HEADER = 'x-sender';
/** Marks MESSAGE frames replayed from history on SUBSCRIBE. */
export const HISTORY_HEADER = 'x-history';

/** SEND headers that are not passed through to MESSAGE as user headers. */
export const RESERVED_HEADERS = new Set([
  'destination', 'receipt', 'transaction', 'content-length', 'content-type',
  'message-id', 'subscription', 'ack', SENDER_HEADER, HISTORY_HEADER,
]);

const VARIANTS = ['1.0', '1.1', '1.2'] as const;

export class Publication {
  private readonly templates: (MessageTemplate | undefined)[] = new Array(6);
  private size = -1;

  constructor(
    readonly msg: OutboundMessage,
    readonly history = false,
  ) {}

  /** Bytes it keeps alive while a subscription holds it (computed once, shared by every holder). */
  get bytes(): number {
    if (this.size < 0) this.size = heldBytes(this.msg);
    return this.size;
  }

  template(version: StompVersion, restricted: boolean): MessageTemplate {
    const slot = VARIANTS.indexOf(version) * 2 + (restricted ? 1 : 0);
    let t = this.templates[slot];
    if (!t) {
      t = new MessageTemplate(this.headersFor(restricted), this.msg.body, version);
      this.templates[slot] = t;
    }
    return t;
  }

  private headersFor(restricted: boolean): Record<string, string> {
    const m = this.msg;
    const h: Record<string, string> = { destination: shownDestination(m.destination), 'message-id': m.id };
    if (m.contentType) {
      if (!restricted) h['content-type'] = m.contentType;
      else {
        // "text/plain; charset=utf-8" (stompjs) → "text/plain;charset=utf-8" for Android.
        const compact = m.contentType.replace(/\s+/g, '');
        if (restrictedSafe('content-type', compact)) h['content-type'] = compact;
      }
    }
    if (!restricted || restrictedSafe(SENDER_HEADER, m.senderId)) h[SENDER_HEADER] = m.senderId;
    if (this.history) h[HISTORY_HEADER] = 'true';
    for (const name in m.headers) {
      const value = m.headers[name];
      // Withhold what a restricted reader cannot parse rather than break its connection.
      if (restricted && !restrictedSafe(name, value)) continue;
      if (!(name in h)) h[name] = value;
    }
    return h;
  }
}
