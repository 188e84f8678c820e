import { describe, expect, it } from 'vitest';
import { compileRoomTemplate } from './rooms';

describe('room templates', () => {
  it('default /topic/room.{roomId}', () => {
    const t = compileRoomTemplate('/topic/room.{roomId}');
    expect(t.roomOf('/topic/room.42')).toBe('42');
    expect(t.roomOf('/topic/room.')).toBeNull();
    expect(t.roomOf('/topic/other.42')).toBeNull();
    expect(t.roomOf('/topic/room.a b')).toBeNull();
    expect(t.roomOf('/topic/room.*')).toBeNull();
    expect(t.destinationOf('x')).toBe('/topic/room.x');
  });
  it('Spring style /topic/chat/room/{roomId}', () => {
    const t = compileRoomTemplate('/topic/chat/room/{roomId}');
    expect(t.roomOf('/topic/chat/room/abc-1')).toBe('abc-1');
    expect(t.roomOf('/topic/chat/room/a/b')).toBeNull();
  });
  it('template with a suffix; must name {roomId} exactly once', () => {
    expect(compileRoomTemplate('/exchange/chat/{roomId}.msgs').roomOf('/exchange/chat/r1.msgs')).toBe('r1');
    expect(() => compileRoomTemplate('/topic/x')).toThrow();
    expect(() => compileRoomTemplate('/{roomId}/{roomId}')).toThrow();
  });
});
