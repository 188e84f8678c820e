import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { OffloadFullError } from './offload';
import { decodePack } from './pack-codec';
import { PackingOffload, type PackingOptions, type PackTransport, type SealedPack, type TransportHooks } from './packing-offload';
import { messageFactory } from '../testing/messages';

/** A transport whose availability and confirms the test drives by hand. */
class ManualTransport implements PackTransport {
  readonly kind = 'manual';
  up = true;
  hooks!: TransportHooks;
  sent: Array<{ pack: SealedPack; settle: (err?: Error) => void }> = [];
  async start(hooks: TransportHooks) {
    this.hooks = hooks;
  }
  canSend() {
    return this.up;
  }
  send(pack: SealedPack, settle: (err?: Error) => void) {
    this.sent.push({ pack, settle });
  }
  isReady() {
    return this.up;
  }
  async close() {}
  confirmAll(err?: Error) {
    const s = this.sent;
    this.sent = [];
    for (const x of s) x.settle(err);
  }
  /** The connection drops: everything in flight comes back. */
  drop() {
    this.up = false;
    const s = this.sent;
    this.sent = [];
    this.hooks.returned(s.map((x) => x.pack));
  }
  restore() {
    this.up = true;
    this.hooks.writable();
  }
}

const opts: PackingOptions = {
  maxPending: 1_000, maxPendingBytes: 10_000_000, packMaxMessages: 100, packMaxBytes: 1_000_000,
  lingerMs: 0, timeoutMs: 60_000, drainTimeoutMs: 200,
};
const tick = () => new Promise((r) => setImmediate(r));

async function setup(o: Partial<PackingOptions> = {}) {
  const t = new ManualTransport();
  const off = new PackingOffload(t, { ...opts, ...o }, pino({ level: 'silent' }), new Registry());
  await off.start();
  return { t, off, make: messageFactory('po') };
}

describe('PackingOffload', () => {
  it('packs the messages of one tick, seals at the size limit, resolves on the confirm', async () => {
    const { t, off, make } = await setup();
    const msgs = Array.from({ length: 250 }, () => make());
    let resolved = 0;
    const ps = msgs.map((m) => off.publish(m).then(() => resolved++));
    expect(t.sent.map((s) => s.pack.count)).toEqual([100, 100]); // sealed by size at once
    await tick();
    expect(t.sent.map((s) => s.pack.count)).toEqual([100, 100, 50]); // the rest at the next tick
    expect(decodePack(t.sent[2].pack.body).map((m) => m.id)).toEqual(msgs.slice(200).map((m) => m.id));
    expect(off.depth()).toBe(250);
    expect(resolved).toBe(0);
    t.confirmAll();
    await Promise.all(ps);
    expect(resolved).toBe(250);
    expect(off.depth()).toBe(0);
  });

  it('sends packs lost with the connection again, first and in order, and only then settles', async () => {
    const { t, off, make } = await setup({ packMaxMessages: 10 });
    const ps = Array.from({ length: 30 }, () => off.publish(make()));
    expect(t.sent.length).toBe(3);
    t.drop();
    ps.push(...Array.from({ length: 5 }, () => off.publish(make())));
    await tick();
    expect(t.sent.length).toBe(0); // down: buffered
    t.restore();
    await tick();
    expect(t.sent.map((s) => s.pack.seq)).toEqual([1, 2, 3, 4]);
    t.confirmAll();
    await Promise.all(ps);
  });

  it('refuses synchronously with OffloadFullError when the message or byte bound is reached', async () => {
    const { t, off, make } = await setup({ maxPending: 50 });
    t.up = false;
    const ps = Array.from({ length: 50 }, () => off.publish(make()));
    expect(() => off.publish(make())).toThrow(OffloadFullError);
    expect(() => off.publish(make())).toThrow(/backend unavailable/);
    t.restore();
    await tick();
    t.confirmAll();
    await Promise.all(ps);
    expect(() => off.publish(make())).not.toThrow();

    const small = await setup({ maxPendingBytes: 2_000 });
    small.t.up = false;
    let accepted = 0;
    expect(() => {
      for (;;) {
        small.off.publish(small.make()).catch(() => undefined);
        accepted++;
      }
    }).toThrow(OffloadFullError);
    expect(accepted).toBeGreaterThan(5);
    expect(accepted).toBeLessThan(40);
  });

  it('fails messages refused by the backend after the retry budget, and ones waiting past the timeout', async () => {
    const { t, off, make } = await setup({ maxAttempts: 2 });
    const p = off.publish(make());
    await tick();
    t.confirmAll(new Error('message nacked'));
    expect(t.sent.length).toBe(1); // retried once
    t.confirmAll(new Error('message nacked'));
    await expect(p).rejects.toThrow(/refused.*nacked/);
    expect(off.depth()).toBe(0);

    const slow = await setup({ timeoutMs: 100 });
    slow.t.up = false;
    const q = slow.off.publish(slow.make());
    await expect(q).rejects.toThrow(/within 100 ms/);
    expect(slow.off.depth()).toBe(0);
    // Sent but never confirmed (a blocked backend): also failed; a late confirm is ignored.
    slow.t.restore();
    const r = slow.off.publish(slow.make());
    await tick();
    expect(slow.t.sent.length).toBe(1);
    await expect(r).rejects.toThrow(/within 100 ms/);
    slow.t.confirmAll();
    expect(slow.off.depth()).toBe(0);
  });

  it('close waits for outstanding confirms, then fails what is left and refuses new messages', async () => {
    const { t, off, make } = await setup();
    const a = off.publish(make());
    await tick();
    const closing = off.close();
    t.confirmAll();
    await closing;
    await a;
    expect(() => off.publish(make())).toThrow(/closing/);

    const stuck = await setup({ drainTimeoutMs: 50 });
    stuck.t.up = false;
    const b = stuck.off.publish(stuck.make());
    await stuck.off.close();
    await expect(b).rejects.toThrow(/closed before/);
  });
});
