/**
 * What the demo page knows about one room: messages in id order (broker ids sort by time),
 * each shown once however often it arrives (history replay after a reconnect may repeat what
 * was already seen live), and the newest id seen, the cursor for reconnect recovery
 * (README.md "History and recovery"). No DOM here, so it is unit-tested in Node.
 */

/** SUBSCRIBE headers the broker reads (apps/broker/session/session.ts, README "History and recovery"). */
export const HISTORY_LAST_HEADER = 'x-history-last';
export const HISTORY_AFTER_HEADER = 'x-history-after';
/** MESSAGE headers the broker writes (apps/broker/hub/publication.ts). */
export const HISTORY_HEADER = 'x-history';
export const SENDER_HEADER = 'x-sender';

export interface ChatMessage {
  id: string;
  sender: string;
  text: string;
  /** Replayed from history on SUBSCRIBE rather than delivered live. */
  history: boolean;
}

/** The demo's message body: JSON `{"text": "..."}`; other bodies are shown as text. */
export function encodeBody(text: string): string {
  return JSON.stringify({ text });
}

export function decodeBody(body: string): string {
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string') return (v as { text: string }).text;
  } catch {
    // not JSON: show as is
  }
  return body;
}

/** A MESSAGE frame's headers and body as stompjs gives them. */
export function toChatMessage(headers: Record<string, string>, body: string): ChatMessage | null {
  const id = headers['message-id'];
  if (!id) return null;
  return { id, sender: headers[SENDER_HEADER] ?? '?', text: decodeBody(body), history: headers[HISTORY_HEADER] === 'true' };
}

export class RoomFeed {
  private readonly seen = new Set<string>();
  private readonly list: ChatMessage[] = [];
  private newest: string | null = null;

  /** @param limit most messages kept (the oldest are dropped from view, not from the cursor) */
  constructor(private readonly limit = 500) {}

  get messages(): readonly ChatMessage[] {
    return this.list;
  }

  /** Newest message id seen: where recovery resumes. */
  get lastId(): string | null {
    return this.newest;
  }

  /**
   * Add a message; returns its index in `messages`, or -1 when it was already there.
   */
  add(m: ChatMessage): number {
    if (this.seen.has(m.id)) return -1;
    this.seen.add(m.id);
    if (this.newest === null || m.id > this.newest) this.newest = m.id;
    // Usually appended; recovered messages may belong before the live ones already shown.
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].id > m.id) i--;
    this.list.splice(i, 0, m);
    if (this.list.length > this.limit) {
      const dropped = this.list.shift()!;
      this.seen.delete(dropped.id);
      return i - 1;
    }
    return i;
  }

  /**
   * Headers for the room SUBSCRIBE: the last `historyLast` messages on first join, and
   * everything after the newest seen message when re-subscribing after a reconnect.
   */
  subscribeHeaders(historyLast: number): Record<string, string> {
    return this.newest === null ? { [HISTORY_LAST_HEADER]: String(historyLast) } : { [HISTORY_AFTER_HEADER]: this.newest };
  }
}
