/**
 * The text of a chat message worth counting: a JSON body's `text` field (the demo page sends
 * `{"text": "…"}`), else a UTF-8 body as it is. Binary bodies and JSON without text give null.
 * At most `maxBytes` of a body are read, which bounds the cost of one message.
 */
import { isUtf8 } from 'node:buffer';

/** Fields a chat JSON body commonly keeps its text in, in order of preference. */
const TEXT_FIELDS = ['text', 'message', 'content', 'body'] as const;

export function messageText(m: { contentType: string | null; body: Buffer }, maxBytes: number): string | null {
  const body = m.body;
  const type = m.contentType?.toLowerCase() ?? null;
  if (body.length === 0 || (type !== null && !type.startsWith('text/') && !type.includes('json'))) return null;
  const looksJson = type?.includes('json') || body[0] === 0x7b; // '{'
  if (looksJson) {
    if (body.length > maxBytes * 4) return null; // too large to parse whole for a few words
    try {
      const v: unknown = JSON.parse(body.toString('utf8'));
      if (v && typeof v === 'object') {
        for (const f of TEXT_FIELDS) {
          const t = (v as Record<string, unknown>)[f];
          if (typeof t === 'string') return t.length > maxBytes ? t.slice(0, maxBytes) : t;
        }
      }
      return null;
    } catch {
      // not JSON after all: read it as text below
    }
  }
  const head = body.length > maxBytes ? body.subarray(0, maxBytes) : body;
  // A cut may split the last character; only the untouched part must be valid UTF-8.
  if (head.indexOf(0) !== -1 || (!isUtf8(head) && !isUtf8(head.subarray(0, Math.max(0, head.length - 3))))) return null;
  return head.toString('utf8');
}
