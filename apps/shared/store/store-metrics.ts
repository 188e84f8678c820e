/**
 * Prometheus metrics around any Store (one decorator for both implementations; the
 * PGlite worker cannot reach the main thread's registry). Takes its Registry as a parameter:
 * several stores/processes share one test process.
 *
 * The one place that counts what happens at the database: rows offered to insertBatch by
 * outcome, the time of each insertBatch, and calls that failed because the database was
 * unavailable. The consumer's writer does not count these again (apps/consumer/writer.ts).
 */
import type { Registry } from 'prom-client';
import type { OutboundMessage } from '../message';
import { counter, histogram } from '../metrics';
import { StoreUnavailableError, type InsertResult } from './message-store';
import type { Store } from './store';

export function instrumentStore(store: Store, registry: Registry): Store {
  const rows = counter(
    registry,
    'stompbox_db_insert_rows_total',
    'Message rows offered to insertBatch, by outcome (inserted, duplicate = id already stored, rejected = refused by the database)',
    ['store', 'outcome'],
  );
  const seconds = histogram(registry, 'stompbox_db_insert_batch_seconds', 'Duration of one insertBatch call', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], ['store']);
  const errors = counter(registry, 'stompbox_db_errors_total', 'Store calls that failed because the database was unavailable', ['store', 'op']);
  const kind = store.kind;
  const countErrors = <A extends unknown[], R>(op: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (err) {
        if (err instanceof StoreUnavailableError) errors.inc({ store: kind, op });
        throw err;
      }
    };

  const handler: ProxyHandler<Store> = {
    get(target, prop, receiver) {
      if (prop === 'insertBatch') {
        return async (msgs: OutboundMessage[]): Promise<InsertResult> => {
          const end = seconds.startTimer({ store: kind });
          try {
            const r = await target.insertBatch(msgs);
            rows.inc({ store: kind, outcome: 'inserted' }, r.inserted);
            rows.inc({ store: kind, outcome: 'rejected' }, r.rejected.length);
            rows.inc({ store: kind, outcome: 'duplicate' }, Math.max(0, msgs.length - r.inserted - r.rejected.length));
            return r;
          } catch (err) {
            if (err instanceof StoreUnavailableError) errors.inc({ store: kind, op: 'insertBatch' });
            throw err;
          } finally {
            end();
          }
        };
      }
      const v = Reflect.get(target, prop, receiver);
      if (typeof v === 'function' && prop !== 'close') return countErrors(String(prop), (v as (...a: unknown[]) => Promise<unknown>).bind(target));
      return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
    },
  };
  return new Proxy(store, handler);
}
