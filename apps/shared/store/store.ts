/**
 * The whole database behind one handle, as the process that opens it holds it. Callers take
 * the narrow interface they need: MessageStore (writer, history), RoomDirectory (rooms,
 * members), DeviceTokenStore (push tokens). Postgres through Prisma (`postgres-store.ts`) and
 * embedded PGlite in a worker thread (`pglite-store.ts`) run one contract
 * (`message-store.contract.ts`).
 */
import type { DeviceTokenStore } from './device-token-store';
import type { MessageStore } from './message-store';
import type { RoomDirectory } from './room-directory';

export interface Store extends MessageStore, RoomDirectory, DeviceTokenStore {
  /** "postgres" or "pglite", for logs and metrics. */
  readonly kind: string;
  /** Release connections / stop the worker. Further calls reject. */
  close(): Promise<void>;
}
