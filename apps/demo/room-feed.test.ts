/** The demo page's room state: order, de-duplication and the reconnect cursor. */
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, RoomFeed, toChatMessage } from './web/room-feed';

const msg = (id: string, history = false) => ({ id, sender: 'ann', text: `t${id}`, history });

describe('RoomFeed', () => {
  it('asks for the last N messages on first join and for everything after the newest seen on re-subscribe', () => {
    const feed = new RoomFeed();
    expect(feed.subscribeHeaders(50)).toEqual({ 'x-history-last': '50' });
    feed.add(msg('a2'));
    feed.add(msg('a1'));
    expect(feed.subscribeHeaders(50)).toEqual({ 'x-history-after': 'a2' });
  });

  it('shows each message once, in id order, even when history replays what was seen live', () => {
    const feed = new RoomFeed();
    expect(feed.add(msg('b1'))).toBe(0);
    expect(feed.add(msg('b3'))).toBe(1);
    expect(feed.add(msg('b3', true))).toBe(-1);
    expect(feed.add(msg('b2', true))).toBe(1); // recovered message goes between
    expect(feed.messages.map((m) => m.id)).toEqual(['b1', 'b2', 'b3']);
    expect(feed.lastId).toBe('b3');
  });

  it('keeps at most `limit` messages, dropping the oldest', () => {
    const feed = new RoomFeed(2);
    feed.add(msg('c1'));
    feed.add(msg('c2'));
    expect(feed.add(msg('c3'))).toBe(1);
    expect(feed.messages.map((m) => m.id)).toEqual(['c2', 'c3']);
    expect(feed.lastId).toBe('c3');
  });

  it('reads MESSAGE headers and JSON or plain bodies', () => {
    expect(toChatMessage({ 'message-id': 'm1', 'x-sender': 'bob', 'x-history': 'true' }, encodeBody('hi'))).toEqual({
      id: 'm1', sender: 'bob', text: 'hi', history: true,
    });
    expect(toChatMessage({ 'message-id': 'm2' }, 'plain')).toEqual({ id: 'm2', sender: '?', text: 'plain', history: false });
    expect(toChatMessage({}, 'x')).toBeNull();
    expect(decodeBody('{"seq":1}')).toBe('{"seq":1}');
  });
});
