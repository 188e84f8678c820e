/**
 * One slice of a load run: the users of some whole rooms, driven in one thread (a worker
 * or the main thread). Phases, each started by the coordinator so all slices move together:
 *   setup (connect, subscribe with receipt) → ready
 *   go → run (send / hold / churn; `stop` ends open-ended sending) → delivered
 *   finish → teardown (UNSUBSCRIBE, DISCONNECT with receipt, close 1000) → result
 * `abort` (hard timeout) closes everything at once and still yields a result.
 * Reading everything expected before closing avoids JMeter's close error (its close sampler
 * fails on an unread frame: "received not a close frame", jmeter/README.md).
 */
import type { LoadOptions } from '../cli/options';
import { ReceiptTimeout, StompConn } from '../client/stomp-conn';
import { encodePayload, nowUs, PayloadDecoder } from '../client/payload';
import { destinationFor } from '../client/destinations';
import { DeliveryTracker } from '../stats/delivery-tracker';
import { Histogram } from '../stats/histogram';
import { addKind, type KindCounts, type Progress, type SliceResult } from '../stats/counters';
import { ConnectGate } from './connect-gate';
import { credentialsFor } from './connect-headers';
import type { SlicePlan, RoomPlan } from './plan';
import { sleep } from '../../shared/sleep';

interface Room {
  plan: RoomPlan;
  dest: string;
  members: User[];
  senders: User[];
  sendersDone: number;
  /** Messages sent by all its senders so far. */
  sentTotal: number;
}

interface User {
  n: number;
  room: Room;
  isSender: boolean;
  conn: StompConn | null;
  alive: boolean;
  subscribed: boolean;
  tracker: DeliveryTracker;
  seq: number;
  inFlight: number;
  sendDone: boolean;
  complete: boolean;
  timer: NodeJS.Timeout | null;
}

export interface SliceHooks {
  ready(): void;
  delivered(): void;
}

const SUB_ID = 'sub-0';
/** Sends per pump call before yielding to the event loop. */
const PUMP_BATCH = 64;
/** Back off sending while this many bytes wait in the socket. */
const MAX_BUFFERED = 1 << 20;
const TEARDOWN_RECEIPT_MS = 3_000;

export class Slice {
  private readonly rooms: Room[] = [];
  private readonly users: User[] = [];
  private readonly gate: ConnectGate;
  private readonly connectMs = new Histogram();
  private readonly subscribeMs = new Histogram();
  private readonly latencyUs = new Histogram();
  private readonly receiptUs = new Histogram();
  private readonly cycleMs = new Histogram();
  private readonly errors: KindCounts = {};
  private readonly warnings: KindCounts = {};
  private readonly secretKey: Uint8Array | undefined;
  private readonly decoder: PayloadDecoder;
  /** Senders whose window opened during this tick; pumped together at setImmediate. */
  private readonly pumpQueue = new Set<User>();
  private pumpScheduled = false;
  private connected = 0;
  private subscribed = 0;
  private sent = 0;
  private sendReceipts = 0;
  private received = 0;
  private foreign = 0;
  private receivedAtStop = 0;
  private cycles = 0;
  private errorCount = 0;
  private firstSendAt = Infinity;
  private lastReceivePerf = 0;
  /** Last SEND or delivery (performance.now), for the inactivity timeouts. */
  private lastActivity = 0;
  private running = false;
  private stopped = false;
  private aborted = false;
  private completeCount = 0;
  private runDone: (() => void) | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private goSignal!: () => void;
  private readonly go$ = new Promise<void>((r) => (this.goSignal = r));
  private stopSignal!: () => void;
  private readonly stop$ = new Promise<void>((r) => (this.stopSignal = r));
  private finishSignal!: () => void;
  private readonly finish$ = new Promise<void>((r) => (this.finishSignal = r));

  constructor(private readonly o: LoadOptions, private readonly plan: SlicePlan, sliceCount: number, private readonly hooks: SliceHooks) {
    const per = (x: number) => (x > 0 ? Math.max(x / sliceCount, 0.001) : 0);
    this.gate = new ConnectGate(Math.max(1, Math.ceil(o.connectConcurrency / sliceCount)), per(o.rampPerSec));
    this.secretKey = o.jwtSecret ? new TextEncoder().encode(o.jwtSecret) : undefined;
    this.decoder = new PayloadDecoder(o.runId);
    for (const rp of plan.rooms) {
      const room: Room = { plan: rp, dest: destinationFor(o.destination, o.runId, rp.room), members: [], senders: [], sendersDone: 0, sentTotal: 0 };
      for (let i = 0; i < rp.size; i++) {
        const u: User = {
          n: rp.firstUser + i, room, isSender: i < rp.senders, conn: null, alive: false, subscribed: false,
          tracker: new DeliveryTracker(), seq: 0, inFlight: 0, sendDone: false, complete: false, timer: null,
        };
        room.members.push(u);
        if (u.isSender) room.senders.push(u);
        this.users.push(u);
      }
      this.rooms.push(room);
    }
  }

  progress(): Progress {
    return { connected: this.connected, subscribed: this.subscribed, sent: this.sent, received: this.received, errors: this.errorCount, cycles: this.cycles };
  }

  go(): void {
    this.goSignal();
  }

  stop(): void {
    this.stopSignal();
  }

  finish(): void {
    this.finishSignal();
  }

  /** Hard stop: close every socket now; `run()` resolves with what was measured. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.gate.drain();
    for (const u of this.users) {
      if (u.timer) clearTimeout(u.timer);
      u.conn?.terminate();
    }
    this.goSignal();
    this.stopSignal();
    this.finishSignal();
    this.runDone?.();
  }

  /** Runs all phases; resolves with the result after `finish` (or `abort`). */
  async run(): Promise<SliceResult> {
    if (this.o.scenario === 'churn') {
      this.hooks.ready();
      await this.go$;
      await this.runChurn();
      this.hooks.delivered();
      await this.finish$;
      return this.result();
    }
    const subscribe = this.o.scenario !== 'idle' || this.o.idleSubscribe;
    await Promise.all(this.users.map((u) => this.setupUser(u, subscribe)));
    this.hooks.ready();
    await this.go$;
    if (!this.aborted) {
      if (this.o.scenario === 'idle') await this.stop$;
      else await this.runTraffic();
    }
    this.hooks.delivered();
    await this.finish$;
    if (!this.aborted) await this.teardown();
    return this.result();
  }

  private error(kind: string): void {
    addKind(this.errors, kind);
    this.errorCount++;
  }

  private async openConn(u: User, onMessage: (body: Buffer) => void): Promise<StompConn | null> {
    const release = await this.gate.acquire();
    if (this.aborted) {
      release();
      return null;
    }
    const creds = await credentialsFor(this.o, u.n, this.secretKey);
    const conn = new StompConn(
      {
        url: this.o.url,
        subprotocols: this.o.subprotocols,
        connectHeaders: creds.connectHeaders,
        httpHeaders: creds.httpHeaders,
        connectTimeoutMs: this.o.receiptTimeoutMs,
      },
      { onMessage, onFailure: (kind) => this.onConnFailure(u, kind) },
    );
    u.conn = conn;
    const t0 = performance.now();
    try {
      await conn.connect();
      this.connectMs.record(performance.now() - t0);
      return conn;
    } catch (e) {
      if (!this.aborted) this.error((e as { kind?: string }).kind ?? 'connect-failed');
      return null;
    } finally {
      release();
    }
  }

  private async setupUser(u: User, subscribe: boolean): Promise<void> {
    const conn = await this.openConn(u, (body) => this.onMessage(u, body));
    if (!conn) return;
    u.alive = true;
    this.connected++;
    if (!subscribe) return;
    const t0 = performance.now();
    try {
      await conn.subscribe(SUB_ID, u.room.dest, this.o.receiptTimeoutMs);
      if (!u.alive) return;
      this.subscribeMs.record(performance.now() - t0);
      u.subscribed = true;
      this.subscribed++;
    } catch (e) {
      if (e instanceof ReceiptTimeout) this.error('subscribe-receipt-timeout');
    }
  }

  private onConnFailure(u: User, kind: string): void {
    if (this.aborted || !u.alive) return;
    u.alive = false;
    this.error(kind);
    if (u.timer) clearTimeout(u.timer);
    if (this.running) {
      if (u.isSender && !u.sendDone) this.senderDone(u);
      this.markComplete(u);
    }
  }

  // ---------------------------------------------------------------- rooms / throughput

  private runTraffic(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.runDone = () => {
        this.runDone = null;
        if (this.deadline) clearTimeout(this.deadline);
        resolve();
      };
      this.running = true;
      for (const u of this.users) {
        if (!u.subscribed || !u.alive) this.markComplete(u);
        if (u.isSender && !(u.alive && u.subscribed)) this.senderDone(u);
      }
      for (const u of this.users) if (u.isSender && !u.sendDone) u.conn!.corked(() => this.startSending(u));
      if (this.o.scenario === 'rooms') {
        this.armInactivity(this.o.intervalMs + this.o.readTimeoutMs, 'read-timeout');
      } else {
        void this.stop$.then(() => {
          if (!this.runDone) return;
          this.stopped = true;
          this.receivedAtStop = this.received;
          for (const u of this.users) if (u.isSender && !u.sendDone) this.senderDone(u);
          this.armInactivity(this.o.drainMs, 'drain-timeout');
        });
      }
      this.checkAllComplete();
    });
  }

  /**
   * Give up once nothing was sent or received for `ms` (JMeter's read timeout is the same
   * idea: the wait for the next frame). A slow broker that still delivers is not cut off; a
   * stuck one is, and its missing messages count as lost. The hard timeout bounds it all.
   */
  private armInactivity(ms: number, kind: string): void {
    const armedAt = performance.now();
    const check = () => {
      const idle = performance.now() - Math.max(armedAt, this.lastActivity);
      if (idle < ms) {
        this.deadline = setTimeout(check, ms - idle + 1);
        return;
      }
      for (const u of this.users) {
        if (u.isSender && !u.sendDone) {
          this.error('sender-stalled');
          this.senderDone(u);
        }
      }
      for (const u of this.users) if (!u.complete) this.error(kind);
      this.runDone?.();
    };
    this.deadline = setTimeout(check, ms);
  }

  private startSending(u: User): void {
    if (this.o.intervalMs > 0) {
      const tick = () => {
        u.timer = null;
        if (u.sendDone || !u.alive) return;
        if (this.o.window === 0 || u.inFlight < this.o.window) this.sendOne(u);
        if (!u.sendDone) u.timer = setTimeout(tick, this.o.intervalMs);
      };
      if (this.o.stagger) u.timer = setTimeout(tick, staggerOffset(u.n, this.o.intervalMs));
      else tick();
    } else this.pump(u);
  }

  /**
   * Echoes arrive in bursts (one socket read holds many frames); refilling each window once
   * per tick inside a corked socket turns many SENDs into one write syscall.
   */
  private schedulePump(u: User): void {
    this.pumpQueue.add(u);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      for (const q of this.pumpQueue) q.conn?.corked(() => this.pump(q));
      this.pumpQueue.clear();
    });
  }

  /** Send while the window allows, at most PUMP_BATCH per call. */
  private pump(u: User): void {
    if (u.timer) return; // a yield is already scheduled
    let n = 0;
    while (!u.sendDone && u.alive && (this.o.window === 0 || u.inFlight < this.o.window)) {
      if (n++ === PUMP_BATCH || u.conn!.bufferedAmount > MAX_BUFFERED) {
        u.timer = setTimeout(() => {
          u.timer = null;
          this.pump(u);
        }, n > PUMP_BATCH ? 0 : 2);
        return;
      }
      this.sendOne(u);
    }
  }

  private sendOne(u: User): void {
    const o = this.o;
    if (this.sent === 0) this.firstSendAt = performance.timeOrigin + performance.now();
    const t0 = nowUs();
    this.lastActivity = t0 / 1000;
    const body = encodePayload(o.runId, u.n, u.seq, t0, o.bodyBytes);
    const receipt = u.conn!.send(u.room.dest, body, o.sendReceipts ? o.receiptTimeoutMs : undefined);
    if (receipt) {
      receipt.then(
        () => {
          this.sendReceipts++;
          this.receiptUs.record(nowUs() - t0);
        },
        (e) => {
          if (e instanceof ReceiptTimeout) this.error('send-receipt-timeout');
        },
      );
    }
    u.seq++;
    u.inFlight++;
    u.room.sentTotal++;
    this.sent++;
    if (o.scenario === 'rooms' && u.seq >= o.messages) this.senderDone(u);
  }

  private senderDone(u: User): void {
    if (u.sendDone) return;
    u.sendDone = true;
    if (u.timer) clearTimeout(u.timer);
    u.timer = null;
    const room = u.room;
    room.sendersDone++;
    if (room.sendersDone === room.senders.length) {
      for (const m of room.members) this.checkComplete(m);
    }
  }

  private onMessage(u: User, body: Buffer): void {
    const p = this.decoder.decode(body);
    if (!p) {
      this.foreign++;
      return;
    }
    this.received++;
    this.lastReceivePerf = this.lastActivity = performance.now();
    this.latencyUs.record(this.lastReceivePerf * 1000 - p.sentAtUs);
    const verdict = u.tracker.record(p.sender, p.seq);
    if (p.sender === u.n && verdict !== 'duplicate') {
      u.inFlight--;
      if (!u.sendDone && this.running && this.o.intervalMs === 0) this.schedulePump(u);
    }
    if (this.running) this.checkComplete(u);
  }

  private checkComplete(u: User): void {
    if (u.complete) return;
    const room = u.room;
    if (room.sendersDone === room.senders.length && u.tracker.unique >= room.sentTotal) this.markComplete(u);
  }

  private markComplete(u: User): void {
    if (u.complete) return;
    u.complete = true;
    this.completeCount++;
    this.checkAllComplete();
  }

  private checkAllComplete(): void {
    if (this.completeCount === this.users.length && this.runDone) this.runDone();
  }

  // ---------------------------------------------------------------- churn

  private async runChurn(): Promise<void> {
    const until = performance.now() + this.o.durationMs;
    let stopped = false;
    void this.stop$.then(() => (stopped = true));
    await Promise.all(
      this.users.map(async (u) => {
        for (let c = 0; c < this.o.cycles && !stopped && !this.aborted && performance.now() < until; c++) {
          const t0 = performance.now();
          const conn = await this.openConn(u, () => {});
          if (!conn) {
            await sleep(100); // a refused connect must not become a hot loop
            continue;
          }
          u.alive = true;
          this.connected++;
          try {
            await conn.subscribe(SUB_ID, u.room.dest, this.o.receiptTimeoutMs);
            await conn.unsubscribe(SUB_ID, this.o.receiptTimeoutMs);
          } catch (e) {
            if (e instanceof ReceiptTimeout) this.error('churn-receipt-timeout');
            conn.terminate();
            u.alive = false;
            continue;
          }
          if (!(await conn.disconnect(this.o.receiptTimeoutMs))) addKind(this.warnings, 'disconnect-receipt-missing');
          await withTimeout(conn.closed(), 5_000);
          u.alive = false;
          u.conn = null;
          this.cycleMs.record(performance.now() - t0);
          this.cycles++;
        }
      }),
    );
  }

  // ---------------------------------------------------------------- teardown and result

  private async teardown(): Promise<void> {
    await Promise.all(
      this.users.map(async (u) => {
        const conn = u.conn;
        if (!conn) return;
        if (u.alive) {
          u.alive = false; // closes from here on are ours
          if (u.subscribed) void conn.unsubscribe(SUB_ID).catch(() => {});
          if (!(await conn.disconnect(Math.min(this.o.receiptTimeoutMs, TEARDOWN_RECEIPT_MS)))) {
            addKind(this.warnings, 'disconnect-receipt-missing');
          }
        } else conn.close();
        if (!(await withTimeout(conn.closed(), 3_000))) conn.terminate();
      }),
    );
  }

  private result(): SliceResult {
    let unique = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let expected = 0;
    let received = 0;
    for (const u of this.users) {
      // Only members whose SUBSCRIBE was confirmed are accounted: one whose receipt timed
      // out may still get messages, which must not hide another member's loss.
      if (!u.subscribed) continue;
      received += u.tracker.received;
      unique += u.tracker.unique;
      duplicated += u.tracker.duplicated;
      outOfOrder += u.tracker.outOfOrder;
      expected += u.room.sentTotal;
    }
    let planned = expected;
    if (this.o.scenario === 'rooms') planned = this.rooms.reduce((a, r) => a + r.plan.size * r.plan.senders * this.o.messages, 0);
    if (this.o.scenario === 'idle' || this.o.scenario === 'churn') planned = 0;
    return {
      users: this.users.length,
      connected: this.connected,
      subscribed: this.subscribed,
      sent: this.sent,
      sendReceipts: this.sendReceipts,
      planned,
      expected,
      received,
      unique,
      duplicated,
      outOfOrder,
      foreign: this.foreign,
      receivedAtStop: this.o.scenario === 'throughput' ? this.receivedAtStop : received,
      cycles: this.cycles,
      firstSendAt: this.firstSendAt,
      lastReceiveAt: this.lastReceivePerf ? performance.timeOrigin + this.lastReceivePerf : 0,
      connectMs: this.connectMs.toJSON(),
      subscribeMs: this.subscribeMs.toJSON(),
      latencyUs: this.latencyUs.toJSON(),
      receiptUs: this.receiptUs.toJSON(),
      cycleMs: this.cycleMs.toJSON(),
      errors: { ...this.errors },
      warnings: { ...this.warnings },
    };
  }
}

/** true when `p` settled within `ms`. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), t]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Where in the first interval sender `n` starts: the fractional part of n × the golden ratio,
 * which spreads any set of consecutive sender numbers evenly (whichever worker holds them).
 */
export function staggerOffset(n: number, intervalMs: number): number {
  const f = (n * 0.6180339887498949) % 1;
  return Math.floor(f * intervalMs);
}
