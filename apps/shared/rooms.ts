/**
 * Room destinations (README.md "Connecting"): a destination matching the configured template
 * (default `/topic/room.{roomId}`, Spring style `/topic/chat/room/{roomId}` also works) is
 * a room; everything else is plain pub/sub. Matching is literal prefix/suffix comparison:
 * no pattern characters are interpreted.
 */
export interface RoomTemplate {
  readonly template: string;
  /** Room id of a destination, or null when it is not a room. */
  roomOf(destination: string): string | null;
  destinationOf(roomId: string): string;
}

const ROOM_ID = /^[A-Za-z0-9_\-.~]{1,128}$/;

export function compileRoomTemplate(template: string): RoomTemplate {
  const at = template.indexOf('{roomId}');
  if (at < 0 || template.indexOf('{roomId}', at + 1) >= 0) {
    throw new Error(`room template must contain {roomId} exactly once: "${template}"`);
  }
  const prefix = template.slice(0, at);
  const suffix = template.slice(at + '{roomId}'.length);
  return {
    template,
    roomOf(destination) {
      if (destination.length <= prefix.length + suffix.length) return null;
      if (!destination.startsWith(prefix) || !destination.endsWith(suffix)) return null;
      const id = destination.slice(prefix.length, destination.length - suffix.length);
      return ROOM_ID.test(id) ? id : null;
    },
    destinationOf(roomId) {
      return prefix + roomId + suffix;
    },
  };
}
