import { describe, expect, it } from 'vitest';
import { planRooms, plannedDeliveries, planSlices } from './plan';

describe('planRooms / planSlices', () => {
  it('fills rooms in order, the last one smaller', () => {
    const rooms = planRooms(14, 6, 1);
    expect(rooms.map((r) => [r.firstUser, r.size, r.senders])).toEqual([[0, 6, 1], [6, 6, 1], [12, 2, 1]]);
    expect(plannedDeliveries(rooms, 10)).toBe(6 * 10 + 6 * 10 + 2 * 10);
  });

  it('splits whole rooms over slices with balanced users and nothing lost', () => {
    const rooms = planRooms(10_000, 6, 1);
    const slices = planSlices(rooms, 3);
    expect(slices).toHaveLength(3);
    expect(slices.reduce((a, s) => a + s.users, 0)).toBe(10_000);
    expect(slices.flatMap((s) => s.rooms.map((r) => r.room))).toEqual(rooms.map((r) => r.room));
    for (const s of slices) expect(Math.abs(s.users - 10_000 / 3)).toBeLessThan(12);
  });

  it('never makes more slices than rooms', () => {
    expect(planSlices(planRooms(6, 6, 1), 4)).toHaveLength(1);
  });
});
