/**
 * Past MAX_CONNECTIONS an upgrade is refused with 503 and a JSON reason (never a reset),
 * and the default limit comes from the open-file limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectionCapacity } from '../../shared/open-files';
import { startBroker, type BrokerHandle } from '../broker';
import { rawConnect, type RawClient } from '../testing/raw-client';

let broker: BrokerHandle;
const open: RawClient[] = [];
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', MAX_CONNECTIONS: '2' } });
});
afterAll(async () => {
  for (const c of open) c.close();
  await broker.close();
});

describe('connection limit', () => {
  it('refuses the upgrade past MAX_CONNECTIONS with 503 and a reason', async () => {
    open.push(await rawConnect(broker.url), await rawConnect(broker.url));
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(broker.url);
      ws.on('open', () => reject(new Error('third connection was accepted')));
      ws.on('error', () => {});
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'too-many-connections' });
    expect(broker.metrics.connectionsRejected['too-many-connections']).toBe(1);
  });

  it('defaults to what the open-file limit allows', async () => {
    const b = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent' } });
    try {
      expect(b.maxConnections).toBe(connectionCapacity() ?? 100_000);
    } finally {
      await b.close();
    }
  });
});
