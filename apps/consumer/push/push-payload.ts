/**
 * What one push says, built once per (message, count) and shared by every token it goes to.
 * FCM refuses a payload over 4 KiB (INVALID_ARGUMENT), so the body text is cut to fit
 * `maxBytes` measured on the JSON FCM forwards (notification, data, android, apns); all data
 * values are strings and no data key is one FCM reserves (`from`, `notification`,
 * `message_type`, `google.*`, `gcm.*`).
 */
import type { BaseMessage } from 'firebase-admin/messaging';

/** One room message as a push shows it (the text already bounded by previewText). */
export interface Notice {
  roomId: string;
  /** The room's display name, or null to show its id. */
  roomName: string | null;
  messageId: string;
  senderId: string;
  preview: string;
}

/** A push: the latest notice of a (user, room) window and how many messages it stands for. */
export interface PushContent {
  notice: Notice;
  count: number;
  /** Every message of the window came from notice.senderId. */
  oneSender: boolean;
}

/** A device keeps one notification per collapse key; APNs allows at most 64 bytes. */
const APNS_COLLAPSE_ID_MAX = 64;
/** A notification stays deliverable this long while the device is off. */
const TTL_MS = 24 * 3_600_000;
const ELLIPSIS = '…';
/** Titles are short by nature; a huge room name must not eat the body's room. */
const TITLE_MAX_BYTES = 200;

/** The title and body of a push, the body cut so that the whole payload fits `maxBytes`. */
export function buildPush(content: PushContent, maxBytes: number): BaseMessage {
  const { notice, count } = content;
  const title = cutUtf8(notice.roomName ?? notice.roomId, TITLE_MAX_BYTES);
  const full = count <= 1 ? `${notice.senderId}: ${notice.preview}` : summary(content);
  const message = shape(notice, title, '', count);
  const room = maxBytes - payloadBytes(message);
  // JSON escaping can grow the text (quotes, control characters): cut, measure, cut again.
  let body = cutUtf8(full, room);
  for (let i = 0; i < 8; i++) {
    message.notification!.body = body;
    const over = payloadBytes(message) - maxBytes;
    if (over <= 0) return message;
    body = cutUtf8(body, Buffer.byteLength(body, 'utf8') - over - 8);
  }
  message.notification!.body = '';
  return message;
}

/**
 * The fallback when FCM still calls the payload invalid: no user text at all, only the count,
 * so nothing the sender wrote can make it fail again.
 */
export function minimalPush(content: PushContent): BaseMessage {
  const n = content.count;
  return shape(content.notice, cutUtf8(content.notice.roomId, TITLE_MAX_BYTES), n <= 1 ? 'New message' : `${n} new messages`, n);
}

function summary({ notice, count, oneSender }: PushContent): string {
  return oneSender ? `${count} new messages from ${notice.senderId}` : `${count} new messages, the latest from ${notice.senderId}`;
}

function shape(notice: Notice, title: string, body: string, count: number): BaseMessage {
  const collapseId: Record<string, string> = Buffer.byteLength(notice.roomId, 'utf8') <= APNS_COLLAPSE_ID_MAX ? { 'apns-collapse-id': notice.roomId } : {};
  return {
    notification: { title, body },
    data: {
      type: 'chat-message',
      roomId: notice.roomId,
      messageId: notice.messageId,
      senderId: notice.senderId,
      // Messages this push stands for (the collapsed burst), as the app's badge for the room.
      unreadCount: String(count),
    },
    android: {
      // One pending notification per room on the device: a newer one replaces it.
      collapseKey: notice.roomId,
      priority: 'high',
      ttl: TTL_MS,
      notification: { tag: notice.roomId },
    },
    apns: {
      headers: { 'apns-priority': '10', 'apns-push-type': 'alert', ...collapseId },
      payload: { aps: { 'thread-id': notice.roomId, sound: 'default' } },
    },
  };
}

/** Bytes of the JSON FCM would carry for this message (what its 4 KiB limit is about). */
export function payloadBytes(m: BaseMessage): number {
  return Buffer.byteLength(JSON.stringify({ notification: m.notification, data: m.data, android: m.android, apns: m.apns }), 'utf8');
}

/** `s` cut to at most `maxBytes` UTF-8 bytes on a character boundary, with an ellipsis when cut. */
export function cutUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const room = maxBytes - Buffer.byteLength(ELLIPSIS, 'utf8');
  if (room <= 0) return '';
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > room) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end) + ELLIPSIS;
}

/** Longest body text read from a message before the payload cuts it further. */
const PREVIEW_SOURCE_MAX = 16 * 1024;
const TEXT_FIELDS = ['text', 'message', 'content', 'body'];

/**
 * The text a push shows for a message body: plain UTF-8 text as it is; a small JSON object's
 * `text` / `message` / `content` / `body` field (what chat apps commonly send); anything else
 * (binary, invalid UTF-8, huge JSON) a neutral phrase. At most `maxBytes`.
 */
export function previewText(body: Buffer, contentType: string | null, maxBytes: number): string {
  if (body.length === 0) return 'New message';
  const head = body.length > PREVIEW_SOURCE_MAX ? body.subarray(0, PREVIEW_SOURCE_MAX) : body;
  const text = decodeUtf8(head, body.length > PREVIEW_SOURCE_MAX);
  if (text === null) return 'New message';
  if (contentType?.includes('json') || text.startsWith('{')) {
    if (body.length <= PREVIEW_SOURCE_MAX) {
      try {
        const v = JSON.parse(text) as Record<string, unknown>;
        for (const f of TEXT_FIELDS) if (v && typeof v[f] === 'string') return cutUtf8(v[f] as string, maxBytes);
      } catch {
        // not JSON after all: show it as text
      }
    }
  }
  return cutUtf8(text.replace(/\s+/g, ' ').trim() || 'New message', maxBytes);
}

const strict = new TextDecoder('utf-8', { fatal: true });

/** Valid UTF-8 without NUL, or null. A cut tail (`partial`) may end inside a character: dropped. */
function decodeUtf8(b: Buffer, partial: boolean): string | null {
  try {
    const s = strict.decode(partial ? b.subarray(0, lastBoundary(b)) : b);
    return s.includes('\u0000') ? null : s;
  } catch {
    return null;
  }
}

function lastBoundary(b: Buffer): number {
  let i = b.length - 1;
  let cont = 0;
  while (i >= 0 && (b[i] & 0xc0) === 0x80 && cont < 3) {
    i--;
    cont++;
  }
  if (i < 0) return b.length;
  const lead = b[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  // The last character is complete: keep it; else cut before its lead byte.
  return cont + 1 >= need ? b.length : i;
}
