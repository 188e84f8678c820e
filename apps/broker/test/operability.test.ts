/**
 * Operability: health/readiness/metrics over HTTP, config validation at start-up, the
 * loopback-only rule of development mode, and the SIGTERM drain of a real process.
 */
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect } from '../testing/raw-client';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent' } });
});
afterAll(async () => {
  await broker.close();
});

describe('HTTP surface', () => {
  it('serves /healthz, /readyz and Prometheus /metrics; 404 with a reason elsewhere', async () => {
    expect((await fetch(`${broker.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${broker.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    const c = await rawConnect(broker.url);
    c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
    c.send(frame('SUBSCRIBE', { id: '1', destination: '/topic/m' }));
    c.send(frame('SEND', { destination: '/topic/m' }, 'x'));
    await c.waitFor((f) => f.command === 'MESSAGE');
    c.send(frame('NOPE'));
    await c.closed;
    const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(text).toMatch(/stompbox_frames_in_total\{command="SEND"\} [1-9]/);
    expect(text).toMatch(/stompbox_frames_out_total\{command="CONNECTED"\} [1-9]/);
    expect(text).toMatch(/stompbox_deliveries_total [1-9]/);
    expect(text).toMatch(/stompbox_errors_total\{reason="bad-command"\} 1/);
    for (const name of ['stompbox_connections ', 'stompbox_bytes_in_total', 'stompbox_bytes_out_total', 'stompbox_slow_consumer_disconnects_total', 'stompbox_offload_queue_depth', 'stompbox_subscriptions', 'stompbox_destinations']) {
      expect(text).toContain(name);
    }
    const nf = await fetch(`${broker.httpUrl}/nothing`);
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: string }).error).toMatch(/no route/);
  });

  it('refuses WebSocket upgrades on other paths with a reason', async () => {
    await expect(rawConnect(broker.url.replace('/ws', '/other'))).rejects.toThrow(/404/);
  });
});

describe('configuration', () => {
  it('names the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ ROOM_TEMPLATE: '/topic/x' })).toThrow(/ROOM_TEMPLATE/);
    expect(() => loadConfig({ WS_OUTPUT: 'morse' })).toThrow(/WS_OUTPUT/);
    expect(loadConfig({}).PORT).toBe(8080);
  });

  it('a process with an invalid value stops at start-up naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/broker/main.ts'], {
      env: { ...process.env, PORT: 'not-a-port', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/PORT/);
  });
});

describe('development mode admits only loopback clients', () => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.skipIf(!external)('refuses a non-loopback client with 403 and a reason', async () => {
    const b = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', HOST: '0.0.0.0' } });
    try {
      await expect(rawConnect(`ws://${external}:${b.port}/ws`)).rejects.toThrow(/403/);
      expect(b.metrics.connectionsRejected['remote-without-auth']).toBe(1);
    } finally {
      await b.close();
    }
    const open = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', ALLOW_REMOTE_WITHOUT_AUTH: 'true' } });
    try {
      const c = await rawConnect(`ws://${external}:${open.port}/ws`);
      c.close();
    } finally {
      await open.close();
    }
  });
});

describe('SIGTERM drain', () => {
  it('closes clients with 1001, answers in-flight receipts, exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/broker/main.ts'], {
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`broker did not start: ${out}`)), 30_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /"url":"(ws:[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    const clients = await Promise.all([rawConnect(url), rawConnect(url)]);
    for (const c of clients) {
      c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
      await c.waitFor((f) => f.command === 'CONNECTED');
    }
    clients[0].send(frame('SEND', { destination: '/topic/d', receipt: 'last' }, 'before shutdown'));
    await clients[0].waitFor((f) => f.command === 'RECEIPT');
    child.kill('SIGTERM');
    const [code, ...closes] = await Promise.all([new Promise<number | null>((r) => child.on('exit', r)), ...clients.map((c) => c.closed)]);
    expect(code).toBe(0);
    for (const c of closes) expect(c.code).toBe(1001);
    expect(out).toContain('drained');
  });
});
