/**
 * The batch writer: stream → Postgres. Reads packs with the consumer group (XREADGROUP),
 * inserts all their room messages with one MessageStore.insertBatch (COPY into a staging
 * table or a multi-row INSERT, ON CONFLICT DO NOTHING either way, so redeliveries are
 * harmless), then acknowledges the entries.
 * Every `claimEveryMs` it first takes over entries another writer left pending for longer
 * than `claimIdleMs` (a crashed consumer: XAUTOCLAIM).
 *
 * Failures: the database unreachable → the same batch is retried with backoff (up to 5 s
 * apart) and nothing is acknowledged, so the stream grows and the bridge's bound pushes back
 * to RabbitMQ. Rows the database refuses for their content (MessageStore returns them in
 * `rejected`) → dead letter (stage "store") with the database's reason, then acknowledged;
 * while the dead-letter sink is full the entries stay unacknowledged (the sink's put waits).
 * A batch failing repeatedly with any other error (a bug or a row the store could not even
 * encode) is retried row by row and the failing rows dead-lettered, so one bad row cannot
 * stall the stream.
 *
 * First-use creation (development mode) is handed the stored messages and runs on its own
 * loop (first-use.ts): the writer never waits for rooms to be created.
 *
 * Metrics: rows by outcome (inserted / duplicate / rejected) and the time of each insert are
 * counted once, by the store wrapper (shared/store/store-metrics.ts), which sees every
 * insertBatch call; the writer counts only what the store cannot see: rows per batch, lag,
 * skipped non-room messages, retries, claims and dead letters.
 */
import type { Logger } from 'pino';
import { StoreUnavailableError, type InsertResult, type MessageStore, type RejectedRow } from '../shared/store/message-store';
import type { OutboundMessage } from '../shared/message';
import { indexPack, packFromParts, type PackIndex } from '../shared/queue/pack-codec';
import { PackedRows, type StoredText } from '../shared/store/packed-rows';
import type { DeadLetterSink } from '../shared/queue/pack-source';
import { backoffMs } from '../shared/backoff';
import { sleep } from '../shared/sleep';
import type { ConsumerMetrics } from './consumer-metrics';
import type { FirstUseDirectory } from './first-use';
import type { PackStream, StreamEntry } from './stream/pack-stream';

export interface WriterOptions {
  batchPacks: number;
  blockMs: number;
  claimIdleMs: number;
  claimEveryMs: number;
}

/** Failures of a batch with an error other than StoreUnavailableError before rows are tried singly. */
const UNEXPECTED_ERROR_RETRIES = 3;
/** Between attempts to read or acknowledge the stream. */
const STREAM_RETRY = { baseMs: 50, maxMs: 2_000 };
/** Between attempts to insert while the database is away. */
const INSERT_RETRY = { baseMs: 100, maxMs: 5_000 };

export class StreamWriter {
  private stopAt = Infinity;
  private draining = false;
  private done: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly stream: PackStream,
    private readonly store: MessageStore,
    private readonly deadLetters: DeadLetterSink,
    private readonly opts: WriterOptions,
    private readonly logger: Logger,
    private readonly m: ConsumerMetrics,
    private readonly firstUse: FirstUseDirectory | null = null,
    /** Told each stored batch's room messages (word counting); must return at once. */
    private readonly onStored: ((msgs: readonly StoredText[]) => void) | null = null,
  ) {}

  start(): void {
    this.done ??= this.loop();
  }

  /**
   * Write what is left (until the stream has nothing unread for us, or `deadline`), then stop.
   * Entries still unacknowledged at the deadline stay pending in the stream for a later claim.
   */
  async stop(deadline: number): Promise<void> {
    this.draining = true;
    this.stopAt = deadline;
    await this.done;
  }

  private async loop(): Promise<void> {
    const reader = this.stream.openReader(this.name);
    let lastClaim = 0;
    let failures = 0;
    try {
      while (Date.now() < this.stopAt) {
        try {
          let entries: StreamEntry[] = [];
          if (Date.now() - lastClaim >= this.opts.claimEveryMs) {
            lastClaim = Date.now();
            entries = await this.stream.claim(this.name, this.opts.claimIdleMs, this.opts.batchPacks);
            if (entries.length > 0) {
              this.m.claimed.inc(entries.length);
              this.logger.warn({ writer: this.name, entries: entries.length }, 'took over stream entries left pending by a stopped writer');
            }
          }
          if (entries.length === 0) entries = await reader.read(this.opts.batchPacks, this.draining ? 0 : this.opts.blockMs);
          if (entries.length === 0) {
            if (this.draining) break;
            continue;
          }
          if (!(await this.write(entries))) break; // deadline passed while the database was down
          await this.stream.ack(entries.map((e) => e.id));
          failures = 0;
        } catch (err) {
          failures++;
          if (failures === 1 || failures % 20 === 0) this.logger.warn({ writer: this.name, err: (err as Error).message, failures }, 'stream read/ack failed; retrying');
          await sleep(backoffMs(failures, STREAM_RETRY));
        }
      }
    } finally {
      await reader.close().catch(() => undefined);
    }
  }

  /** Store the entries' room messages; false if it had to give up at the stop deadline. */
  private async write(entries: StreamEntry[]): Promise<boolean> {
    // Each pack is parsed once (indexPack; with the in-process stream the bridge's parse of
    // the very same Buffer is reused) and its rows stay in it: the store copies field bytes
    // straight into its statement (shared/store/packed-rows.ts).
    const rows = new PackedRows();
    let skipped = 0;
    for (const e of entries) {
      let ix: PackIndex;
      try {
        ix = indexPack(e.body);
      } catch (err) {
        await this.deadLetters.put({ reason: (err as Error).message, stage: 'decode', body: e.body, messageIds: [] });
        this.m.deadLetters.inc({ stage: 'decode' });
        continue;
      }
      for (let i = 0; i < ix.count; i++) {
        if (ix.roomIds[i] === null) skipped++;
        else rows.add(ix, i);
      }
    }
    if (skipped > 0) this.m.skipped.inc(skipped);
    if (rows.length === 0) return true;
    let failures = 0;
    let res: InsertResult;
    for (;;) {
      try {
        res = await this.store.insertBatch(this.store.packedRows ? rows : rows.messages());
        break;
      } catch (err) {
        failures++;
        this.m.storeErrors.inc();
        if (!(err instanceof StoreUnavailableError) && failures >= UNEXPECTED_ERROR_RETRIES) {
          // Not an outage but something about these rows (the store should have returned them
          // as rejected): find the culprits one by one rather than block the stream forever.
          return this.writeOneByOne(rows);
        }
        if (failures === 1 || failures % 10 === 0) {
          this.logger.warn({ writer: this.name, err: (err as Error).message, failures, rows: rows.length }, 'batch insert failed; retrying');
        }
        const delay = backoffMs(failures, INSERT_RETRY);
        if (Date.now() + delay > this.stopAt) return false;
        await sleep(delay);
      }
    }
    this.m.batchRows.observe(rows.length);
    const now = Date.now();
    for (let r = 0; r < rows.length; r++) this.m.lagSeconds.observe(Math.max(0, now - rows.sentAt(r)) / 1000);
    if (failures > 0) this.logger.info({ writer: this.name, failures }, 'database writes resumed');
    // Outside the insert retry: a dead-letter sink that cannot take them (full) holds these
    // entries un-acked; the rows themselves are stored.
    if (res.rejected.length > 0) await this.deadLetterRejected(rows, res.rejected);
    this.firstUse?.note(memberPairs(rows)); // queued for its own loop: room creation never delays the next batch
    if (this.onStored) this.onStored(rows.texts());
    return true;
  }

  /** Insert rows singly; a row that fails other than by an outage is dead-lettered. */
  private async writeOneByOne(rows: PackedRows): Promise<boolean> {
    for (let r = 0; r < rows.length; r++) {
      const one = rows.slice(r, r + 1);
      const rejected = await this.insertOne(one);
      if (rejected === null) return false; // deadline passed while the database was down
      if (rejected.length > 0) await this.deadLetterRejected(one, rejected);
    }
    return true;
  }

  /** One row: what the store refused (any failure but an outage counts), or null at the stop deadline. */
  private async insertOne(one: PackedRows): Promise<RejectedRow[] | null> {
    for (let failures = 0; ; failures++) {
      try {
        return (await this.store.insertBatch(this.store.packedRows ? one : one.messages())).rejected;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) return [{ id: one.ids[0], reason: `store failed: ${(err as Error).message}` }];
        const delay = backoffMs(failures, INSERT_RETRY);
        if (Date.now() + delay > this.stopAt) return null;
        await sleep(delay);
      }
    }
  }

  private async deadLetterRejected(rows: PackedRows, rejected: RejectedRow[]): Promise<void> {
    const byId = new Map<string, number>();
    for (let r = 0; r < rows.length; r++) byId.set(rows.ids[r], r);
    for (const x of rejected) {
      const r = byId.get(x.id);
      const reason = x.code ? `${x.reason} (SQLSTATE ${x.code})` : x.reason;
      // The row's own bytes cut from its pack: a one-message pack, nothing re-encoded.
      const body = r === undefined ? Buffer.alloc(0) : packFromParts([rows.part(r)]);
      await this.deadLetters.put({ reason, stage: 'store', body, messageIds: [x.id] });
      this.m.deadLetters.inc({ stage: 'store' });
      this.logger.error({ id: x.id, reason }, 'message the database refused was dead-lettered');
    }
  }
}

/** The distinct (room, sender) pairs of a batch, for first-use creation. */
function memberPairs(rows: PackedRows): Array<Pick<OutboundMessage, 'roomId' | 'senderId'>> {
  const seen = new Set<string>();
  const out: Array<Pick<OutboundMessage, 'roomId' | 'senderId'>> = [];
  for (let r = 0; r < rows.length; r++) {
    const roomId = rows.roomId(r)!;
    const senderId = rows.senderId(r);
    const key = roomId + '\u0000' + senderId;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ roomId, senderId });
  }
  return out;
}
