/**
 * Development mode cannot be borrowed by a web page on another site or a rebound DNS name:
 * the WebSocket upgrade checks Origin and Host; clients that send no Origin (Android, JMeter)
 * are still admitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBroker, type BrokerHandle } from '../broker';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', ALLOWED_ORIGINS: 'https://app.example' } });
});
afterAll(async () => {
  await broker.close();
});

/** Try an upgrade with these headers: 'open', or the refusal's status and error code. */
function upgrade(headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(broker.url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${JSON.parse(body).error}`));
    });
  });
}

describe('cross-site and rebound access in development mode', () => {
  it('admits no Origin, the broker\'s own origin and a listed one', async () => {
    expect(await upgrade({})).toBe('open');
    expect(await upgrade({ Origin: `http://127.0.0.1:${broker.port}` })).toBe('open');
    expect(await upgrade({ Origin: 'https://app.example' })).toBe('open');
  });

  it('refuses a page from another site', async () => {
    expect(await upgrade({ Origin: 'https://evil.example' })).toBe('403 origin-not-allowed');
    expect(await upgrade({ Origin: 'null' })).toBe('403 origin-not-allowed');
    expect(broker.metrics.connectionsRejected['origin-not-allowed']).toBe(2);
  });

  it('refuses a Host that does not name this machine', async () => {
    expect(await upgrade({ Host: `rebound.example:${broker.port}` })).toBe('403 host-not-allowed');
    expect(await upgrade({ Host: `localhost:${broker.port}` })).toBe('open');
  });
});
