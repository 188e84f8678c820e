/** Send workers: started from a service-account key like production, refused setups, batches and their answers. */
import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { FcmMock } from '../../shared/testing/fcm-mock';
import { waitFor } from '../../shared/testing/messages';
import { pushMetrics } from './push-metrics';
import { WorkerPoolSender } from './push-send-workers';
import { MOCK_FCM_APP_MODULE } from './testing/mock-fcm-app';
import { mockTarget } from './testing/push-rig';

const logger = pino({ level: 'silent' });
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('push send workers', () => {
  it('start from a service-account key (each its own firebase-admin app) and close', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const serviceAccount = { project_id: 'p', client_email: 'push@p.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) };
    const pool = await WorkerPoolSender.start(2, { projectId: 'p', appName: 'prod-like', serviceAccount }, pushMetrics(new Registry()), logger);
    await pool.close();
  });

  it('refuse to start when a worker cannot make its app, saying why', async () => {
    await expect(WorkerPoolSender.start(1, { projectId: 'p', appName: 'bad', serviceAccount: { project_id: 'p' } }, pushMetrics(new Registry()), logger)).rejects.toThrow(/push send worker: .*private_key/i);
  });

  it('send batches through the workers and return each token its answer', async () => {
    const mock = await new FcmMock('h2').start();
    closers.push(() => mock.close());
    mock.latencyMs = 100;
    mock.reply = (q) => (q.token.endsWith('x') ? { status: 404, body: { error: { code: 404, status: 'NOT_FOUND', message: 'gone', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } } } : { status: 200 });
    const registry = new Registry();
    const pool = await WorkerPoolSender.start(2, { projectId: 'demo-project', appName: 'spread', setup: { module: MOCK_FCM_APP_MODULE, arg: mockTarget(mock) } }, pushMetrics(registry), logger);
    closers.unshift(() => pool.close());
    const batches = [['a1', 'a2x'], ['b1'], ['c1x', 'c2']];
    const answers = await Promise.all(batches.map((tokens) => pool.send({ notification: { title: 't' } }, tokens)));
    expect(answers.map((a) => a.map((o) => o.kind))).toEqual([['sent', 'drop-token'], ['sent'], ['drop-token', 'sent']]);
    expect(mock.received).toBe(5);
    expect((await registry.getSingleMetric('stompbox_push_fcm_batches_total')!.get()).values[0].value).toBe(3);
  });

  it('answer a batch whose worker died as retryable, and start another worker', async () => {
    const mock = await new FcmMock('h2').start();
    closers.push(() => mock.close());
    const pool = await WorkerPoolSender.start(1, { projectId: 'demo-project', appName: 'dies', setup: { module: MOCK_FCM_APP_MODULE, arg: { ...mockTarget(mock), exitOnToken: 'die' } } }, pushMetrics(new Registry()), logger);
    closers.unshift(() => pool.close());
    expect(await pool.send({ notification: { title: 't' } }, ['ok1'])).toEqual([{ kind: 'sent' }]);
    const lost = await pool.send({ notification: { title: 't' } }, ['die', 'ok2']);
    expect(lost.map((o) => o.kind)).toEqual(['retry', 'retry']);
    expect(lost[0]).toMatchObject({ reason: 'unknown', detail: expect.stringMatching(/exited/) });
    await waitFor(async () => (await pool.send({ notification: { title: 't' } }, ['ok3']))[0].kind === 'sent', 20_000, 'a new worker sends');
    expect(mock.to('ok3').length).toBeGreaterThanOrEqual(1);
  });
});
