/** The payload rules (4 KiB, string data, previews), the collapse windows and the answer classification. */
import { describe, expect, it } from 'vitest';
import { CollapseWindows } from './collapse';
import { outcomeOf } from './fcm-outcome';
import { buildPush, cutUtf8, minimalPush, payloadBytes, previewText, type Notice } from './push-payload';

const notice = (over: Partial<Notice> = {}): Notice => ({ roomId: 'r1', roomName: null, messageId: 'm1', senderId: 'kim', preview: 'hi', ...over });

describe('push payload', () => {
  it('cuts a long body so that the whole payload fits 4 KiB, on a character boundary', () => {
    for (const text of ['x'.repeat(10_000), '한국어 메시지 '.repeat(1_000), '"\\\n'.repeat(3_000), '😀'.repeat(3_000)]) {
      const m = buildPush({ notice: notice({ preview: previewText(Buffer.from(text), 'text/plain', 4_096) }), count: 1, oneSender: true }, 4_096);
      expect(payloadBytes(m)).toBeLessThanOrEqual(4_096);
      expect(payloadBytes(m)).toBeGreaterThan(2_000); // cut to fit, not emptied (escaped text is cut with a margin)
      expect(m.notification!.body!.startsWith('kim: ')).toBe(true);
      expect(m.notification!.body!.endsWith('…')).toBe(true);
      expect(Buffer.from(m.notification!.body!, 'utf8').toString('utf8')).toBe(m.notification!.body); // no broken character
    }
  });

  it('carries string data only, with no key FCM reserves, and sets Android and APNs collapse fields', () => {
    const m = buildPush({ notice: notice({ roomName: 'Team room' }), count: 3, oneSender: true }, 4_096);
    expect(m.notification).toEqual({ title: 'Team room', body: '3 new messages from kim' });
    for (const [k, v] of Object.entries(m.data!)) {
      expect(typeof v).toBe('string');
      expect(k).not.toMatch(/^(from|notification|message_type|google|gcm)/);
    }
    expect(m.data!.unreadCount).toBe('3');
    expect(m.android).toMatchObject({ collapseKey: 'r1', priority: 'high' });
    expect(m.apns!.headers!['apns-collapse-id']).toBe('r1');
    const long = buildPush({ notice: notice({ roomId: 'r'.repeat(100) }), count: 1, oneSender: true }, 4_096);
    expect(long.apns!.headers!['apns-collapse-id']).toBeUndefined(); // APNs allows 64 bytes
    expect(buildPush({ notice: notice(), count: 2, oneSender: false }, 4_096).notification!.body).toBe('2 new messages, the latest from kim');
    expect(minimalPush({ notice: notice({ preview: 'secret text' }), count: 4, oneSender: true }).notification).toEqual({ title: 'r1', body: '4 new messages' });
  });

  it('previews text, a JSON object\'s text field, and nothing of binary bodies', () => {
    expect(previewText(Buffer.from('  hello\n  world '), null, 100)).toBe('hello world');
    expect(previewText(Buffer.from('{"text":"from json","x":1}'), 'application/json', 100)).toBe('from json');
    expect(previewText(Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'application/octet-stream', 100)).toBe('New message');
    expect(previewText(Buffer.from('a\u0000b'), null, 100)).toBe('New message');
    expect(previewText(Buffer.alloc(0), null, 100)).toBe('New message');
    expect(previewText(Buffer.from('é'.repeat(20_000)), null, 50).length).toBeLessThanOrEqual(50);
    expect(cutUtf8('abcdef', 4)).toBe('a…');
  });
});

describe('collapse windows', () => {
  it('folds messages per user and room into the open window, closes windows oldest first, and reports full', () => {
    const w = new CollapseWindows(1_000, 3, 1_000_000);
    expect(w.add('bob', notice({ messageId: 'a' }), 0)).toBe(false);
    expect(w.add('bob', notice({ messageId: 'b' }), 10)).toBe(true);
    expect(w.add('bob', notice({ messageId: 'c', senderId: 'lee' }), 20)).toBe(true);
    expect(w.add('ann', notice({ messageId: 'd' }), 500)).toBe(false);
    expect(w.full()).toBe(false);
    expect(w.takeDue(999)).toEqual([]);
    const [bob] = w.takeDue(1_000);
    expect(bob).toMatchObject({ userId: 'bob', count: 3, oneSender: false, latest: { messageId: 'c' } });
    expect(w.nextDueAt()).toBe(1_500);
    w.add('c1', notice(), 600);
    w.add('c2', notice(), 600);
    expect(w.full()).toBe(true);
    expect(w.takeDue(0, true).map((x) => x.userId)).toEqual(['ann', 'c1', 'c2']);
    expect(w.size()).toBe(0);
  });
});

describe('FCM answers', () => {
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });
  it('tells a bad token from a bad payload, and what to retry', () => {
    expect(outcomeOf(undefined)).toEqual({ kind: 'sent' });
    expect(outcomeOf(err('messaging/registration-token-not-registered', 'x'))).toMatchObject({ kind: 'drop-token', reason: 'unregistered' });
    expect(outcomeOf(err('messaging/invalid-argument', 'The registration token is not a valid FCM registration token'))).toMatchObject({ kind: 'drop-token' });
    expect(outcomeOf(err('messaging/invalid-argument', 'Message is too big'))).toMatchObject({ kind: 'bad-payload' });
    expect(outcomeOf(err('messaging/invalid-argument', 'Invalid data payload key: from'))).toMatchObject({ kind: 'bad-payload' });
    expect(outcomeOf(err('messaging/mismatched-credential', 'SenderId mismatch'))).toMatchObject({ kind: 'config', reason: 'sender-id-mismatch' });
    expect(outcomeOf(err('messaging/message-rate-exceeded', 'q'))).toMatchObject({ kind: 'retry', quota: true });
    expect(outcomeOf(err('messaging/server-unavailable', 'u'))).toMatchObject({ kind: 'retry', reason: 'unavailable', quota: false });
    expect(outcomeOf(err('messaging/internal-error', 'i'))).toMatchObject({ kind: 'retry', reason: 'internal' });
    expect(outcomeOf(err('app/network-error', 'n'))).toMatchObject({ kind: 'retry', reason: 'network' });
    expect(outcomeOf(err('messaging/something-new', 's'))).toMatchObject({ kind: 'failed', reason: 'something-new' });
  });
});
