/**
 * `--join`: a broker whose rooms need membership refuses users who are not members, so before
 * the run every planned room is created and its users added over the broker's REST API, as an
 * admin whose token is minted with --jwt-secret (admins are not rate-limited). Rooms that exist
 * already and users already members are fine.
 */
import { developmentToken } from '../../shared/auth/development-token';
import type { LoadOptions } from '../cli/options';
import { roomName } from '../client/destinations';
import { subjectFor } from './connect-headers';
import type { RoomPlan } from './plan';

const ADMIN = 'loadgen-admin';
const CONCURRENCY = 16;

/** ws(s)://host:port/path → http(s)://host:port */
export function httpBase(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return u.origin;
}

export async function joinRooms(o: LoadOptions, rooms: RoomPlan[]): Promise<{ rooms: number; members: number }> {
  const token = await developmentToken(ADMIN, { secret: o.jwtSecret!, admin: true });
  const base = httpBase(o.url);
  const post = async (path: string, body: object, ok: number[]): Promise<void> => {
    const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!ok.includes(res.status)) throw new Error(`--join: POST ${path} answered ${res.status}: ${text.slice(0, 200)}`);
  };
  let next = 0;
  let members = 0;
  const worker = async () => {
    while (next < rooms.length) {
      const r = rooms[next++];
      const id = roomName(o.runId, r.room);
      await post('/api/rooms', { id, name: `load ${id}` }, [201, 409]);
      for (let i = 0; i < r.size; i++) {
        await post(`/api/rooms/${encodeURIComponent(id)}/members`, { userId: subjectFor(o, r.firstUser + i) }, [200, 201]);
        members++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rooms.length) }, worker));
  return { rooms: rooms.length, members };
}
