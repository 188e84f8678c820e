/**
 * The pipeline on its embedded twins (no AMQP_URL / REDIS_URL): in-process queue → bridge →
 * in-process stream → writers → store, with a MessageStore double whose failures we control.
 * The same scenarios run on real RabbitMQ/Redis/Postgres in pipeline-services.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../shared/config';
import { OffloadFullError } from '../shared/queue/offload';
import { decodePack } from '../shared/queue/pack-codec';
import { startPipeline, type Pipeline } from './pipeline';
import { deadLettersRoute } from '../broker/http/dead-letters-route';
import { createHttpServer } from '../shared/http/create-http-server';
import { FakeStore } from '../shared/testing/fake-store';
import { messageFactory, waitFor } from '../shared/testing/messages';
import { sleep } from '../shared/sleep';

const logger = pino({ level: 'silent' });
let open: Pipeline[] = [];

async function pipeline(env: Record<string, string> = {}, store = new FakeStore()) {
  const config = loadConfig({ DRAIN_TIMEOUT_MS: '3000', WRITER_CLAIM_IDLE_MS: '500', ...env });
  const registry = new Registry();
  const p = await startPipeline({ config, logger, registry, store });
  open.push(p);
  return { p, store, registry };
}

afterEach(async () => {
  for (const p of open) await p.close();
  open = [];
});

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
}

describe('pipeline on embedded twins', () => {
  it('stores 10,000 published messages exactly once each, in packs', async () => {
    const { p, store, registry } = await pipeline();
    const make = messageFactory('twin');
    const msgs = Array.from({ length: 10_000 }, () => make());
    const confirms = msgs.map((m) => p.offload.publish(m));
    await Promise.all(confirms);
    await waitFor(() => store.rows.size === 10_000, 10_000, '10,000 rows');
    for (const m of msgs) {
      expect(store.rows.get(m.id)?.body.equals(m.body)).toBe(true);
      expect(store.offered.get(m.id)).toBe(1);
    }
    // Packed: far fewer packs than messages.
    expect(await metric(registry, 'stompbox_offload_packs_total')).toBeLessThan(200);
    expect(p.offload.depth()).toBe(0);
  });

  it('serves history from the recent cache and the store, oldest first, without duplicates', async () => {
    const { p, store } = await pipeline({ RECENT_CACHE_SIZE: '5' });
    const make = messageFactory('hist', 1);
    const msgs = Array.from({ length: 12 }, () => make());
    await Promise.all(msgs.map((m) => p.offload.publish(m)));
    await waitFor(() => store.rows.size === 12, 5_000, 'rows');
    const ids = (xs: { id: string }[]) => xs.map((m) => m.id);
    expect(ids(await p.history.query({ kind: 'last', roomId: 'r0', limit: 3 }))).toEqual(ids(msgs.slice(9)));
    expect(ids(await p.history.query({ kind: 'last', roomId: 'r0', limit: 10 }))).toEqual(ids(msgs.slice(2)));
    expect(ids(await p.history.query({ kind: 'after', roomId: 'r0', afterId: msgs[9].id, limit: 10 }))).toEqual(ids(msgs.slice(10)));
    expect(ids(await p.history.query({ kind: 'after', roomId: 'r0', afterId: msgs[1].id, limit: 4 }))).toEqual(ids(msgs.slice(2, 6)));
    // Store gone: the cache alone still answers what it covers.
    store.unavailable = true;
    store.rows.clear();
    expect(ids(await p.history.query({ kind: 'last', roomId: 'r0', limit: 5 }))).toEqual(ids(msgs.slice(7)));
  });

  it('holds messages while the store is down, pushes back to senders when full, then drains all', async () => {
    const { p, store, registry } = await pipeline({
      STREAM_MAX_ENTRIES: '5',
      EMBEDDED_QUEUE_MAX: '500',
      OFFLOAD_MAX_PENDING: '1000',
      OFFLOAD_PACK_MAX_MESSAGES: '50',
      CONSUMER_PREFETCH: '4',
    });
    store.unavailable = true;
    const make = messageFactory('down');
    const accepted: string[] = [];
    const confirms: Promise<void>[] = [];
    let refused = 0;
    for (let round = 0; round < 60 && refused === 0; round++) {
      for (let i = 0; i < 100; i++) {
        const m = make();
        try {
          confirms.push(p.offload.publish(m));
          accepted.push(m.id);
        } catch (err) {
          expect(err).toBeInstanceOf(OffloadFullError);
          refused++;
        }
      }
      await sleep(5);
    }
    // Bounded everywhere: stream ≤ bound (+ one batch), queue ≤ its bound, then the offload refuses.
    expect(refused).toBeGreaterThan(0);
    expect(await p.consumer.backlog()).toBeLessThanOrEqual(5 + 4);
    expect(await metric(registry, 'stompbox_consumer_backpressure')).toBe(1);
    expect(store.rows.size).toBe(0);
    store.unavailable = false;
    await Promise.all(confirms);
    await waitFor(() => store.rows.size === accepted.length, 10_000, 'every accepted message stored');
    for (const id of accepted) expect(store.rows.has(id)).toBe(true);
    expect(await metric(registry, 'stompbox_consumer_store_errors_total')).toBeGreaterThan(0);
  });

  it('dead-letters a message the database refuses, with the reason, and stores the rest', async () => {
    const { p, store, registry } = await pipeline();
    const make = messageFactory('poison', 3);
    const good = Array.from({ length: 20 }, () => make());
    const bad = make({ headers: { 'x-poison': '1' } });
    await Promise.all([...good.slice(0, 10), bad, ...good.slice(10)].map((m) => p.offload.publish(m)));
    await waitFor(() => (p.deadLetters?.list().length ?? 0) === 1, 5_000, 'one dead letter');
    await waitFor(() => store.rows.size === 20, 5_000, 'the good rows');
    const letter = p.deadLetters!.list()[0];
    expect(letter.stage).toBe('store');
    expect(letter.reason).toContain('poison header');
    expect(letter.messageIds).toEqual([bad.id]);
    expect(decodePack(letter.body)[0].id).toBe(bad.id);
    expect(await metric(registry, 'stompbox_dead_letters_total', { stage: 'store' })).toBe(1);
    // Visible over HTTP in embedded mode (reasons and ids, no bodies).
    const http = createHttpServer({ logger }).register(deadLettersRoute(p.deadLetters!));
    const res = await http.inject({ method: 'GET', url: '/api/dead-letters?limit=5' });
    await http.close();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ total: 1, letters: [{ stage: 'store', reason: letter.reason, messageIds: [bad.id], bytes: letter.body.length }] });
  });

  it('holds a dead letter the full in-memory list refuses: the older letter stays, the refusal is counted, the entry stays unacknowledged', async () => {
    const { p, store, registry } = await pipeline({ EMBEDDED_DEAD_LETTERS_MAX: '1' });
    const make = messageFactory('deadfull', 3);
    const first = make({ headers: { 'x-poison': '1' } });
    await p.offload.publish(first);
    await waitFor(() => p.deadLetters!.list().length === 1, 5_000, 'the first dead letter');
    const [good, second] = [make(), make({ headers: { 'x-poison': '2' } })];
    // Their pack is not confirmed while its dead letter is held: it is not durable yet.
    let confirmed = false;
    Promise.all([p.offload.publish(good), p.offload.publish(second)]).then(() => (confirmed = true), () => {});
    await waitFor(async () => (await metric(registry, 'stompbox_dead_letters_refused_total', { sink: 'memory' })) >= 2, 5_000, 'refusals counted');
    expect(confirmed).toBe(false);
    expect(p.deadLetters!.list().map((l) => l.messageIds)).toEqual([[first.id]]);
    expect(store.rows.has(good.id)).toBe(true);
    expect(await metric(registry, 'stompbox_dead_letters_held')).toBe(1);
    expect(await p.consumer.backlog()).toBe(1); // held, not acknowledged
  });

  it('a row that makes the store throw (not an outage) is isolated and dead-lettered; the rest is stored', async () => {
    const { p, store } = await pipeline();
    const make = messageFactory('explode', 3);
    const good = Array.from({ length: 10 }, () => make());
    const bad = make({ headers: { 'x-explode': '1' } });
    await Promise.all([...good.slice(0, 5), bad, ...good.slice(5)].map((m) => p.offload.publish(m)));
    await waitFor(() => (p.deadLetters?.list().length ?? 0) === 1, 10_000, 'one dead letter');
    await waitFor(() => store.rows.size === 10, 5_000, 'the good rows');
    expect(p.deadLetters!.list()[0].reason).toMatch(/cannot encode row/);
    expect(p.deadLetters!.list()[0].messageIds).toEqual([bad.id]);
  });

  it('confirms a message (so a RECEIPT is written) only once the store has committed it', async () => {
    const { p, store } = await pipeline();
    store.unavailable = true;
    const m = messageFactory('durable')();
    let confirmed = false;
    const confirm = p.offload.publish(m).then(() => (confirmed = true));
    await sleep(300);
    expect(confirmed).toBe(false); // accepted by the in-process queue and stream, not stored
    expect(store.rows.has(m.id)).toBe(false);
    store.unavailable = false;
    await confirm;
    expect(store.rows.has(m.id)).toBe(true);
  });

  it('does not persist non-room messages but counts them', async () => {
    const { p, store, registry } = await pipeline();
    const make = messageFactory('plain');
    await p.offload.publish(make({ roomId: null, destination: '/topic/news.*.#' }));
    await p.offload.publish(make());
    await waitFor(() => store.rows.size === 1, 5_000, 'the room message');
    await waitFor(async () => (await metric(registry, 'stompbox_consumer_messages_not_room_total')) === 1, 5_000, 'skip counted');
  });

  it('drains everything on close and then refuses new messages', async () => {
    const { p, store } = await pipeline();
    const make = messageFactory('close');
    const msgs = Array.from({ length: 3_000 }, () => make());
    const confirms = msgs.map((m) => p.offload.publish(m));
    await p.close();
    await Promise.all(confirms);
    expect(store.rows.size).toBe(3_000);
    expect(() => p.offload.publish(make())).toThrow(OffloadFullError);
  });
});
