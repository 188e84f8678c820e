/** In-process twin of membership events (the embedded default: one process): synchronous fan-out. */
import type { Logger } from '../logger';
import { checkChange } from './membership-change';
import type { MembershipChange, MembershipEvents } from './membership-events';
import { Listeners } from './listeners';

export class MemoryMembershipEvents implements MembershipEvents {
  readonly kind = 'memory';
  private readonly changes: Listeners<[MembershipChange]>;
  private readonly resyncs: Listeners<[]>;

  constructor(opts: { logger?: Logger } = {}) {
    const onError = (err: unknown) => opts.logger?.warn({ err }, 'membership listener failed');
    this.changes = new Listeners(onError);
    this.resyncs = new Listeners(onError);
  }

  async publish(change: MembershipChange): Promise<void> {
    this.changes.emit(checkChange(change));
  }

  subscribe(listener: (change: MembershipChange) => void): () => void {
    return this.changes.add(listener);
  }

  /** Nothing can be lost within one process: never called. */
  onResync(listener: () => void): () => void {
    return this.resyncs.add(listener);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.changes.clear();
    this.resyncs.clear();
  }
}
