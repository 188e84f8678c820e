/**
 * The push consumer end to end inside one process: in-process push queue → members, presence,
 * collapse → the real firebase-admin SDK → a local FCM mock, with every answer FCM can give.
 * The payload, batching and per-token answers run on both of the SDK's transports: HTTP/2 (its
 * default, production's) and the legacy HTTP/1.1 one.
 */
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FCM_ERRORS, FcmMock } from '../../shared/testing/fcm-mock';
import { waitFor } from '../../shared/testing/messages';
import { pushMetrics } from './push-metrics';
import { DisabledSender, type PushSender } from './push-sender';
import { mockSender, mockWorkerSender, rigsClosedAfterEach, seedRoom } from './testing/push-rig';

const rig = rigsClosedAfterEach();

const TRANSPORTS = [
  { name: 'HTTP/1.1', transport: 'h1', workers: 0 },
  { name: 'HTTP/2', transport: 'h2', workers: 0 },
  { name: 'HTTP/2 from 2 send workers', transport: 'h2', workers: 2 },
] as const;

describe.each(TRANSPORTS)('push consumer over $name (real firebase-admin, local FCM mock)', ({ transport, workers }) => {
  it('pushes to the offline members\' tokens with the right payload; online members and the sender get none', async () => {
    const r = await rig({}, { transport, workers });
    await seedRoom(r.store, 'r1', ['alice', 'bob', 'carol', 'dave'], 0);
    await r.store.upsertDeviceToken('alice', 'alice-t0', 'android');
    await r.store.upsertDeviceToken('bob', 'bob-t0', 'android');
    await r.store.upsertDeviceToken('bob', 'bob-t1', 'ios');
    await r.store.upsertDeviceToken('carol', 'carol-t0', 'android');
    r.presence.online.add('carol');
    const m = r.message('r1', 'alice', 'hello "bob"');
    r.publish([m]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 2 && (await r.metric('stompbox_push_no_token_total')) === 1, 10_000, 'two pushes and dave without token');
    expect(r.mock.requests.map((q) => q.token).sort()).toEqual(['bob-t0', 'bob-t1']);
    const sent = r.mock.requests[0].message;
    expect(r.mock.requests[0].projectId).toBe('demo-project');
    expect(sent.notification).toEqual({ title: 'r1', body: 'alice: hello "bob"' });
    expect(sent.data).toEqual({ type: 'chat-message', roomId: 'r1', messageId: m.id, senderId: 'alice', unreadCount: '1' });
    expect(sent.android).toMatchObject({ collapse_key: 'r1', priority: 'high', ttl: '86400s', notification: { tag: 'r1' } });
    expect(sent.apns).toMatchObject({ headers: { 'apns-priority': '10', 'apns-push-type': 'alert', 'apns-collapse-id': 'r1' }, payload: { aps: { 'thread-id': 'r1', sound: 'default' } } });
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'online' })).toBe(1);
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'sender' })).toBe(1);
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'offline' })).toBe(2);
    expect(r.queue.depth()).toBe(0); // acked
  });

  it('sends 1,200 tokens as 3 sendEachForMulticast calls of at most 500', async () => {
    const sizes: number[] = [];
    const registry = new Registry();
    const mock = await new FcmMock(transport).start();
    const inner = workers ? await mockWorkerSender(mock, registry, workers) : mockSender(mock, registry);
    const recording: PushSender = { kind: 'fcm', send: (msg, tokens) => (sizes.push(tokens.length), inner.send(msg, tokens)), close: () => inner.close() };
    const r = await rig({}, { sender: recording, transport });
    onTestFinished(() => mock.close());
    const users = Array.from({ length: 400 }, (_, i) => `u${String(i).padStart(4, '0')}`);
    await seedRoom(r.store, 'big', ['kim', ...users], 3);
    r.publish([r.message('big', 'kim', 'to everyone')]);
    await waitFor(() => mock.received === 1_200, 20_000, '1,200 requests');
    expect(sizes.sort((a, b) => b - a)).toEqual([500, 500, 200]);
    expect(new Set(mock.requests.map((q) => q.token)).size).toBe(1_200);
  });

  it('sends small pushes with different content together: one sendEach call for 60 rooms, each token its own room\'s payload', async () => {
    const r = await rig({}, { transport, workers });
    for (let i = 0; i < 60; i++) await seedRoom(r.store, `s${i}`, [`a${i}`, `b${i}`]);
    r.publish(Array.from({ length: 60 }, (_, i) => r.message(`s${i}`, `a${i}`, `hi ${i}`)));
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 60, 10_000, '60 pushes');
    for (let i = 0; i < 60; i += 13) expect(r.mock.to(`b${i}-t0`).map((q) => q.message.notification.body)).toEqual([`a${i}: hi ${i}`]);
    expect(await r.metric('stompbox_push_fcm_batches_total')).toBe(1);
  });

  it('deletes a token FCM calls UNREGISTERED, or an invalid token; keeps the others', async () => {
    const r = await rig({}, { transport, workers });
    await seedRoom(r.store, 'r3', ['kim', 'bob'], 3);
    r.mock.reply = (q) => (q.token === 'bob-t0' ? FCM_ERRORS.unregistered() : q.token === 'bob-t1' ? FCM_ERRORS.invalidToken() : { status: 200 });
    r.publish([r.message('r3', 'kim', 'hi')]);
    await waitFor(async () => (await r.metric('stompbox_push_tokens_deleted_total')) === 2, 10_000, 'two tokens deleted');
    expect([...r.store.tokens.keys()].filter((t) => t.startsWith('bob'))).toEqual(['bob-t2']);
    expect(await r.metric('stompbox_push_tokens_deleted_total', { reason: 'unregistered' })).toBe(1);
    expect(await r.metric('stompbox_push_tokens_deleted_total', { reason: 'invalid-token' })).toBe(1);
    expect(await r.metric('stompbox_push_sent_total')).toBe(1);
  });

  it('keeps the token when INVALID_ARGUMENT is about an oversized payload, and sends it again without the text', async () => {
    const r = await rig({}, { transport, workers });
    await seedRoom(r.store, 'r4', ['kim', 'bob']);
    r.mock.reply = (q) => (q.message.notification.body.startsWith('kim:') ? FCM_ERRORS.tooBig() : { status: 200 });
    r.publish([r.message('r4', 'kim', 'x'.repeat(10_000))]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 1, 10_000, 'sent after the fix');
    expect(r.store.tokens.has('bob-t0')).toBe(true);
    expect(await r.metric('stompbox_push_payload_fixed_total')).toBe(1);
    const [first, second] = r.mock.to('bob-t0');
    expect(Buffer.byteLength(JSON.stringify(first.message))).toBeLessThan(4_096 + 200);
    expect(second.message.notification).toEqual({ title: 'r4', body: 'New message' });
    expect(await r.metric('stompbox_push_tokens_deleted_total')).toBe(0);
  });

  it('retries a 503 after its Retry-After', async () => {
    const r = await rig({}, { transport, workers });
    await seedRoom(r.store, 'r6', ['kim', 'bob']);
    let calls = 0;
    r.mock.reply = () => (++calls === 1 ? FCM_ERRORS.unavailable(1) : { status: 200 });
    r.publish([r.message('r6', 'kim', 'hi')]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 1, 15_000, 'sent after the retry');
    const [a, b] = r.mock.to('bob-t0');
    // A lower bound only: the retry may come later, never before Retry-After (1 s; timers may round by 1 ms).
    expect(b.at - a.at).toBeGreaterThanOrEqual(990);
  });
});

describe('push consumer (real firebase-admin, local FCM mock over HTTP/1.1)', () => {


  it('pushes each sender of a pack the others\' messages only, and an online member none, senders included', async () => {
    const r = await rig();
    await seedRoom(r.store, 'r11', ['kim', 'lee', 'max', 'ned']);
    r.presence.online.add('max');
    r.presence.online.add('lee');
    r.publish([r.message('r11', 'kim', 'from kim'), r.message('r11', 'lee', 'from lee')]);
    await waitFor(async () => (await r.metric('stompbox_push_recipients_total', { decision: 'offline' })) === 3, 10_000, 'three offline decisions');
    await waitFor(() => r.mock.received === 2, 10_000, 'two pushes'); // ned's two share one window
    const bodies = (u: string) => r.mock.to(`${u}-t0`).map((q) => q.message.notification.body).sort();
    expect(bodies('kim')).toEqual(['lee: from lee']);
    expect(bodies('lee')).toEqual([]);
    expect(bodies('max')).toEqual([]);
    expect(r.mock.to('ned-t0').map((q) => q.message.data.unreadCount)).toEqual(['2']);
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'online' })).toBe(3);
  });

  it('collapses a burst of 20 messages into one push that carries the count', async () => {
    let now = 1_000_000;
    const r = await rig({ collapseMs: 60_000 }, { clock: () => now });
    await seedRoom(r.store, 'r2', ['kim', 'bob']);
    const burst = Array.from({ length: 20 }, (_, i) => r.message('r2', 'kim', `msg ${i}`));
    for (let i = 0; i < 20; i += 5) r.publish(burst.slice(i, i + 5));
    await waitFor(async () => (await r.metric('stompbox_push_collapsed_total')) === 19, 10_000, '19 collapsed');
    await r.push.tick();
    expect(r.mock.received).toBe(0); // the window is still open
    now += 60_000;
    await r.push.tick();
    await waitFor(() => r.mock.received === 1, 10_000, 'one push');
    const sent = r.mock.requests[0].message;
    expect(sent.notification.body).toBe('20 new messages from kim');
    expect(sent.data).toMatchObject({ unreadCount: '20', messageId: burst[19].id });
    now += 120_000;
    await r.push.tick();
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 1, 5_000, 'sent counted');
    expect(r.mock.received).toBe(1);
  });



  it('keeps the token on SENDER_ID_MISMATCH and counts it as a configuration failure', async () => {
    const r = await rig();
    await seedRoom(r.store, 'r5', ['kim', 'bob']);
    r.mock.reply = () => FCM_ERRORS.senderMismatch();
    r.publish([r.message('r5', 'kim', 'hi')]);
    await waitFor(async () => (await r.metric('stompbox_push_failed_total', { reason: 'sender-id-mismatch' })) === 1, 10_000, 'mismatch counted');
    expect(r.store.tokens.has('bob-t0')).toBe(true);
    expect(r.mock.received).toBe(1);
  });


  it('retries QUOTA_EXCEEDED no sooner than the quota delay, then delivers', async () => {
    const r = await rig({ retry: { baseMs: 1, maxMs: 1_000, quotaMinMs: 200 } });
    await seedRoom(r.store, 'r7', ['kim', 'bob']);
    let calls = 0;
    r.mock.reply = () => (++calls === 1 ? FCM_ERRORS.quota() : { status: 200 });
    r.publish([r.message('r7', 'kim', 'hi')]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 1, 10_000, 'sent after the quota wait');
    const [a, b] = r.mock.to('bob-t0');
    expect(b.at - a.at).toBeGreaterThanOrEqual(195);
    expect(await r.metric('stompbox_push_retries_total', { reason: 'quota-exceeded' })).toBe(1);
  });

  it('dead-letters pushes FCM keeps failing, with the reason, holding at most the retry bound in memory', async () => {
    const r = await rig({ maxAttempts: 3, maxRetryTokens: 50 });
    r.mock.reply = () => FCM_ERRORS.internal();
    const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
    // One room per message, so that no two collapse into one push.
    for (let i = 0; i < 10; i++) await seedRoom(r.store, `r8-${i}`, ['kim', ...users]);
    for (let i = 0; i < 10; i++) r.publish([r.message(`r8-${i}`, 'kim', `m${i}`)]);
    await waitFor(async () => (await r.metric('stompbox_push_dead_lettered_total')) === 300, 20_000, '300 tokens dead-lettered');
    expect(r.mock.received).toBe(900); // 3 attempts each
    const letters = r.dead.list().filter((l) => l.stage === 'push');
    expect(letters.reduce((n, l) => n + JSON.parse(l.body.toString()).tokens.length, 0)).toBe(300);
    for (const l of letters) expect(l.reason).toMatch(/^push: internal after 3 attempts/);
    // Bounded: packs wait in the queue once 50 tokens are held; one pack (30 tokens) may be on its way.
    expect(r.push.status().retryTokensPeak).toBeGreaterThan(0);
    expect(r.push.status().retryTokensPeak).toBeLessThanOrEqual(50 + 30);
    expect(await r.metric('stompbox_push_failed_total', { reason: 'internal' })).toBe(300);
    expect(await r.metric('stompbox_push_sent_total')).toBe(0);
    expect(r.store.tokens.size).toBe(31); // none deleted
  });

  it('with pushes off, works out the recipients and counts what would have been sent', async () => {
    const registry = new Registry();
    const r = await rig({}, { sender: new DisabledSender(pushMetrics(registry)) });
    await seedRoom(r.store, 'r9', ['kim', 'bob', 'carol'], 2);
    r.publish([r.message('r9', 'kim', 'hi')]);
    await waitFor(async () => (await registry.getSingleMetric('stompbox_push_would_send_total')!.get()).values[0]?.value === 4, 10_000, '4 would-send');
    expect(r.mock.received).toBe(0);
    expect(r.push.senderKind).toBe('off');
  });

  it('prunes tokens not seen for 270 days', async () => {
    const r = await rig();
    const day = 24 * 3_600_000;
    await r.store.upsertDeviceToken('old', 'old-t', 'android', new Date(Date.now() - 271 * day));
    await r.store.upsertDeviceToken('new', 'new-t', 'android', new Date(Date.now() - 269 * day));
    expect(await r.push.pruneNow()).toBe(1);
    expect([...r.store.tokens.keys()]).toEqual(['new-t']);
    expect(await r.metric('stompbox_push_tokens_pruned_total')).toBe(1);
  });

  it('skips a pack that does not decode (the persist side dead-letters it), counts it and goes on', async () => {
    const r = await rig();
    await seedRoom(r.store, 'r10', ['kim', 'bob']);
    r.queue.transport.send({ seq: 0, count: 1, firstId: 'x', lastId: 'x', body: Buffer.from('not a pack'), sealedAt: 0, attempts: 0 }, () => {});
    r.publish([r.message('r10', 'kim', 'after')]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 1, 10_000, 'the next pack pushed');
    expect(await r.metric('stompbox_push_packs_total', { result: 'corrupt' })).toBe(1);
    expect(r.dead.list()).toEqual([]);
  });
});
