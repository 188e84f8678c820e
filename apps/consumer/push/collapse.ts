/**
 * Burst collapse: per user and room at most one push per `intervalMs`. The first message for
 * a (user, room) opens a window; messages arriving before it closes only raise its count and
 * become its latest; when it closes, one push goes out saying how many messages it stands for
 * ("3 new messages from Kim"). Windows close `intervalMs` after they open, so two pushes to
 * one user about one room are always at least `intervalMs` apart.
 *
 * Bounded in windows and in bytes (previews are counted per window, shared or not: an upper
 * bound); the caller stops taking packs while `full()`. The interval is the same for every
 * window, so insertion order is closing order and the oldest window is the first to close.
 */
import type { Notice } from './push-payload';

export interface Window {
  userId: string;
  roomId: string;
  /** When it closes (ms epoch). */
  dueAt: number;
  count: number;
  latest: Notice;
  oneSender: boolean;
  bytes: number;
}

/** Fixed cost of one window beside its preview (object, key, ids). */
const WINDOW_OVERHEAD = 160;

export class CollapseWindows {
  private readonly open = new Map<string, Window>();
  private bytes = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly maxWindows: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * A message for `userId` in its room: opens a window or joins the open one. Returns true when
   * it joined (the message is folded into another's push).
   */
  add(userId: string, notice: Notice, now: number): boolean {
    const key = `${userId}\u0000${notice.roomId}`;
    const w = this.open.get(key);
    const size = WINDOW_OVERHEAD + notice.preview.length * 2 + notice.messageId.length + userId.length;
    if (w) {
      this.bytes += size - w.bytes;
      w.bytes = size;
      w.count++;
      w.oneSender &&= w.latest.senderId === notice.senderId;
      w.latest = notice;
      return true;
    }
    this.open.set(key, { userId, roomId: notice.roomId, dueAt: now + this.intervalMs, count: 1, latest: notice, oneSender: true, bytes: size });
    this.bytes += size;
    return false;
  }

  /** Windows closed by `now`, oldest first, removed; `all` takes every open window (shutdown). */
  takeDue(now: number, all = false): Window[] {
    const out: Window[] = [];
    for (const [key, w] of this.open) {
      if (!all && w.dueAt > now) break;
      this.open.delete(key);
      this.bytes -= w.bytes;
      out.push(w);
    }
    return out;
  }

  /** When the oldest open window closes, or null. */
  nextDueAt(): number | null {
    for (const w of this.open.values()) return w.dueAt;
    return null;
  }

  full(): boolean {
    return this.open.size >= this.maxWindows || this.bytes >= this.maxBytes;
  }

  size(): number {
    return this.open.size;
  }
}
