/**
 * Test helpers: broker nodes in this process, each with its own cluster connection and
 * registry, and a small STOMP client over the raw test client that keeps every MESSAGE.
 */
import { Registry } from 'prom-client';
import { startBroker, type BrokerHandle } from '../../broker';
import { loadConfig } from '../../../shared/config';
import { createLogger } from '../../../shared/logger';
import type { OutboundMessage } from '../../../shared/message';
import { frame, rawConnect, type RawClient } from '../../testing/raw-client';
import { clusterFromConfig } from '../cluster-from-config';
import type { ClusterNode } from '../cluster-node';

export interface TestNode {
  broker: BrokerHandle;
  cluster: ClusterNode;
  /** Destinations of every message this node received from other nodes, in arrival order. */
  received: string[];
  close(): Promise<void>;
}

export async function startNode(amqpUrl: string, nodeId: string, env: Record<string, string> = {}): Promise<TestNode> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', AMQP_URL: amqpUrl, NODE_ID: nodeId, ...env });
  const logger = createLogger('silent');
  const registry = new Registry();
  const cluster = clusterFromConfig(config, nodeId, logger, registry)!;
  await cluster.start();
  const broker = await startBroker({ config, logger, registry, cluster });
  const received: string[] = [];
  const hub = broker.hub;
  // Count at the node what other nodes send it, then hand it on as the broker would.
  cluster.attach({
    deliverRemote(m: OutboundMessage) {
      received.push(m.destination);
      hub.deliverRemote(m);
    },
  });
  return { broker, cluster, received, close: () => broker.close() };
}

export interface Msg {
  id: string;
  destination: string;
  subscription: string;
  body: string;
}

export interface TestClient {
  raw: RawClient;
  /** Every MESSAGE received, in order. */
  messages(): Msg[];
  /** SUBSCRIBE and wait for its RECEIPT. */
  subscribe(destination: string, id: string, headers?: Record<string, string>): Promise<void>;
  /** SUBSCRIBE / UNSUBSCRIBE without waiting. */
  subscribeNow(destination: string, id: string): void;
  unsubscribeNow(id: string): void;
  send(destination: string, body: string, headers?: Record<string, string>): void;
  /** Wait for a RECEIPT (frames are handled in order: every earlier frame is handled too). */
  sync(): Promise<void>;
  waitForMessages(pred: (m: Msg) => boolean, n: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

let receipts = 0;

export async function connectClient(url: string, login: string): Promise<TestClient> {
  const raw = await rawConnect(url, ['v12.stomp']);
  raw.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login }));
  await raw.waitFor((f) => f.command === 'CONNECTED');
  const toMsg = (f: RawClient['frames'][number]): Msg => ({
    id: f.headers['message-id'],
    destination: f.headers.destination,
    subscription: f.headers.subscription,
    body: Buffer.from(f.body).toString('utf8'),
  });
  const receipt = async (command: string, headers: Record<string, string>) => {
    const r = `r${++receipts}`;
    raw.send(frame(command, { ...headers, receipt: r }));
    await raw.waitFor((f) => (f.command === 'RECEIPT' && f.headers['receipt-id'] === r) || f.command === 'ERROR', 30_000).then((f) => {
      if (f.command === 'ERROR') throw new Error(`ERROR ${f.headers.message}`);
    });
  };
  return {
    raw,
    messages: () => raw.frames.filter((f) => f.command === 'MESSAGE').map(toMsg),
    subscribe: (destination, id, headers = {}) => receipt('SUBSCRIBE', { destination, id, ...headers }),
    subscribeNow: (destination, id) => raw.send(frame('SUBSCRIBE', { destination, id })),
    unsubscribeNow: (id) => raw.send(frame('UNSUBSCRIBE', { id })),
    send: (destination, body, headers = {}) => raw.send(frame('SEND', { destination, ...headers }, body)),
    sync: () => receipt('SEND', { destination: '/topic/sync' }),
    waitForMessages: async (pred, n, timeoutMs = 30_000) => {
      await raw.waitForCount((f) => f.command === 'MESSAGE' && pred(toMsg(f)), n, timeoutMs);
    },
    close: () => raw.close(),
  };
}

/** The routing keys bound to a queue at RabbitMQ (management HTTP API). */
export async function bindingsOf(managementUrl: string, queue: string, exchange: string): Promise<string[]> {
  const res = await fetch(`${managementUrl}/api/queues/%2F/${encodeURIComponent(queue)}/bindings`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`management API: HTTP ${res.status}`);
  const list = (await res.json()) as Array<{ source: string; routing_key: string }>;
  return list.filter((b) => b.source === exchange).map((b) => b.routing_key).sort();
}

/** Whether a queue exists at RabbitMQ (management HTTP API). */
export async function queueExists(managementUrl: string, queue: string): Promise<boolean> {
  const res = await fetch(`${managementUrl}/api/queues/%2F/${encodeURIComponent(queue)}`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  });
  return res.ok;
}
