/**
 * Development mode, before authentication exists (CREATE_ON_FIRST_USE): a room named by a
 * SEND's destination and the user named by its CONNECT login are created on first use, and
 * the sender becomes a member. Done by the consumer after the batch is stored, never on the
 * broker's SEND path; each (room, sender) pair costs one database call per process, then it
 * is remembered (bounded: the memory is cleared past `maxRemembered`). Best effort: a failure
 * is logged and retried with the pair's next message; it never holds up persistence.
 */
import type { Logger } from 'pino';
import type { RoomDirectory } from '../shared/store/room-directory';
import type { OutboundMessage } from '../shared/message';

export class FirstUseDirectory {
  private readonly known = new Set<string>();
  private failures = 0;

  constructor(
    private readonly store: RoomDirectory,
    private readonly logger: Logger,
    private readonly maxRemembered = 100_000,
  ) {}

  async note(msgs: OutboundMessage[]): Promise<void> {
    const fresh = new Map<string, OutboundMessage>();
    for (const m of msgs) {
      if (m.roomId === null) continue;
      const key = m.roomId + '\u0000' + m.senderId;
      if (!this.known.has(key) && !fresh.has(key)) fresh.set(key, m);
    }
    for (const [key, m] of fresh) {
      try {
        await this.store.addMember(m.roomId!, m.senderId);
        if (this.known.size >= this.maxRemembered) this.known.clear();
        this.known.add(key);
      } catch (err) {
        if (this.failures++ % 100 === 0) {
          this.logger.warn({ err: (err as Error).message, roomId: m.roomId, userId: m.senderId }, 'could not create room/user on first use; will retry');
        }
      }
    }
  }
}
