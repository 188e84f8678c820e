/**
 * How users map to rooms, senders and worker slices. A room never spans two slices, so the
 * thread that sends a room's messages also receives them: latency needs no clock sync and
 * each slice knows exactly what its members must receive.
 */
export interface RoomPlan {
  room: number;
  /** First user number of the room; members are firstUser … firstUser+size-1. */
  firstUser: number;
  size: number;
  /** The first `senders` members send. */
  senders: number;
}

export interface SlicePlan {
  index: number;
  rooms: RoomPlan[];
  users: number;
}

export function planRooms(users: number, roomSize: number, sendersPerRoom: number): RoomPlan[] {
  const rooms: RoomPlan[] = [];
  for (let first = 0, r = 0; first < users; first += roomSize, r++) {
    const size = Math.min(roomSize, users - first);
    rooms.push({ room: r, firstUser: first, size, senders: Math.min(sendersPerRoom, size) });
  }
  return rooms;
}

/** Split rooms into at most `n` contiguous slices of nearly equal user counts. */
export function planSlices(rooms: RoomPlan[], n: number): SlicePlan[] {
  const total = rooms.reduce((a, r) => a + r.size, 0);
  const count = Math.max(1, Math.min(n, rooms.length));
  const slices: SlicePlan[] = [];
  let i = 0;
  let assigned = 0;
  for (let s = 0; s < count; s++) {
    const target = Math.round(((s + 1) * total) / count);
    const slice: SlicePlan = { index: s, rooms: [], users: 0 };
    while (i < rooms.length && (assigned < target || slice.rooms.length === 0) && rooms.length - i > count - s - 1) {
      slice.rooms.push(rooms[i]);
      slice.users += rooms[i].size;
      assigned += rooms[i].size;
      i++;
    }
    slices.push(slice);
  }
  // Whatever is left (rounding) goes to the last slice.
  const last = slices[slices.length - 1];
  while (i < rooms.length) {
    last.rooms.push(rooms[i]);
    last.users += rooms[i].size;
    i++;
  }
  return slices;
}

/** Deliveries the plan calls for: every member gets every message of every sender of its room. */
export function plannedDeliveries(rooms: RoomPlan[], messagesPerSender: number): number {
  return rooms.reduce((a, r) => a + r.size * r.senders * messagesPerSender, 0);
}
