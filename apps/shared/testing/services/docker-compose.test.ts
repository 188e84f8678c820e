/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is kept correct by review and
 * by this test: every variable given to our processes exists in the config schema and
 * validates; URLs point at services of the file with the credentials those services
 * are given; commands are npm scripts that exist; ports and node ids line up; start order holds.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../config';
import { COMPILED_ENTRIES, sourceOf } from './compiled-entries';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string }>;
};
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  configs?: Array<{ source: string; target: string }>;
}

const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const env = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
/**
 * Commands are `node [flags] dist/<entry>.js`, the image's compiled code run by node itself (no
 * npm in between); the npm script they stand for is the one whose command runs the same file.
 */
const entry = (s: Service) => {
  const c = s.command ?? [];
  expect(c[0]).toBe('node');
  expect(c.at(-1)).toMatch(/^dist\/.+\.js$/);
  return c.at(-1)!;
};
const npmScript = (s: Service) => {
  const file = entry(s);
  const names = Object.entries(scripts).filter(([, cmd]) => cmd.split(/\s+/).includes(file)).map(([n]) => n);
  expect(names.length, `no npm script runs ${file}`).toBeGreaterThan(0);
  return names.sort((a, b) => a.length - b.length)[0];
};

describe('docker-compose.yml', () => {
  it('has the whole stack: RabbitMQ, Redis, Postgres, a migration step, two brokers behind a load balancer, the consumer', () => {
    expect(Object.keys(services).sort()).toEqual(['broker1', 'broker2', 'consumer', 'lb', 'migrate', 'postgres', 'rabbitmq', 'redis']);
    expect(appServices.map(([n]) => n).sort()).toEqual(['broker1', 'broker2', 'consumer', 'migrate']);
    expect(npmScript(services.migrate)).toBe('db:migrate');
    expect(npmScript(services.consumer)).toBe('consumer');
    const brokers = appServices.filter(([, s]) => npmScript(s) === 'broker');
    expect(brokers).toHaveLength(2);
  });

  it('gives our processes only variables the config schema knows, with valid values', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const [name, s] of appServices) {
      const e = env(s);
      expect(Object.keys(e).length, name).toBeGreaterThan(0);
      for (const key of Object.keys(e)) expect(known.has(key), `${name}: ${key} is not in apps/shared/config.ts`).toBe(true);
      expect(() => loadConfig(e), name).not.toThrow();
    }
  });

  it('runs compiled entries the build produces, each the same command line as its npm script (node flags included)', () => {
    for (const [name, s] of appServices) {
      const file = entry(s);
      expect(COMPILED_ENTRIES, `${name}: ${file} is not built by scripts/build.mjs`).toContain(file);
      expect(existsSync(join(root, sourceOf(file))), `${name}: ${sourceOf(file)}`).toBe(true);
      // The npm script builds if stale, then `exec node [flags] file`: the same node command line.
      const last = scripts[npmScript(s)].split('&&').at(-1)!.trim().split(/\s+/);
      expect(last.slice(0, 2), npmScript(s)).toEqual(['exec', 'node']);
      expect(s.command, name).toEqual(last.slice(1));
    }
  });

  it('points every URL at a service of this file, with the credentials that service is given', () => {
    const pgEnv = env(services.postgres);
    const mqEnv = env(services.rabbitmq);
    for (const [name, s] of appServices) {
      const c = loadConfig(env(s));
      if (name !== 'migrate') {
        const amqp = new URL(c.AMQP_URL!);
        expect([amqp.hostname, amqp.port || '5672', amqp.username, amqp.password], name).toEqual(['rabbitmq', '5672', mqEnv.RABBITMQ_DEFAULT_USER, mqEnv.RABBITMQ_DEFAULT_PASS]);
        const redis = new URL(c.REDIS_URL!);
        expect([redis.hostname, redis.port], name).toEqual(['redis', '6379']);
      }
      const db = new URL(c.DATABASE_URL!);
      expect([db.hostname, db.port, db.username, db.password, db.pathname], name).toEqual([
        'postgres',
        '5432',
        pgEnv.POSTGRES_USER,
        pgEnv.POSTGRES_PASSWORD,
        `/${pgEnv.POSTGRES_DB}`,
      ]);
    }
  });

  it('publishes each broker and the consumer on the port it listens on, with distinct node ids and host ports', () => {
    const hostPorts = new Set<string>();
    const nodeIds = new Set<string>();
    for (const [name, s] of appServices) {
      if (name === 'migrate') continue;
      const c = loadConfig(env(s));
      const listen = npmScript(s) === 'consumer' ? c.CONSUMER_PORT : c.PORT;
      expect(s.ports, name).toHaveLength(1);
      const [host, container] = s.ports![0].split(':');
      expect(Number(container), name).toBe(listen);
      expect(hostPorts.has(host), `${name}: host port ${host} reused`).toBe(false);
      hostPorts.add(host);
      if (npmScript(s) === 'broker') {
        expect(c.NODE_ID, name).toBeDefined();
        expect(nodeIds.has(c.NODE_ID!), `${name}: NODE_ID reused`).toBe(false);
        nodeIds.add(c.NODE_ID!);
        expect(c.HOST).toBe('0.0.0.0');
      }
    }
  });

  it('starts brokers and consumer only after the migration succeeded and the backends are healthy', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
    }
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['broker1', 'broker2', 'consumer']) {
      expect(services[name].depends_on, name).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        rabbitmq: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    for (const name of ['rabbitmq', 'redis', 'postgres']) expect((services[name] as { healthcheck?: unknown }).healthcheck, name).toBeDefined();
  });

  it('runs the brokers as one cluster: cluster nodes on the same RabbitMQ, one process each', () => {
    const brokers = appServices.filter(([, s]) => npmScript(s) === 'broker');
    for (const [name, s] of brokers) {
      const c = loadConfig(env(s));
      expect(c.AMQP_URL, name).toBeDefined();
      expect(c.CLUSTER_ENABLED, name).toBe(true);
      expect(c.BROKER_PROCESSES, name).toBe(1);
    }
    const exchanges = new Set(brokers.map(([, s]) => loadConfig(env(s)).CLUSTER_EXCHANGE));
    expect(exchanges.size).toBe(1);
  });

  it('puts every broker behind the load balancer\'s one port, health-checked on /readyz, with a tunnel timeout above the heart-beats', () => {
    const lb = services.lb;
    expect(lb.image).toMatch(/^haproxy:/);
    expect(lb.configs).toEqual([{ source: 'haproxy', target: '/usr/local/etc/haproxy/haproxy.cfg' }]);
    const cfg = compose.configs?.haproxy?.content ?? '';
    const bind = /^\s*bind :(\d+)$/m.exec(cfg);
    expect(bind, 'frontend bind line').not.toBeNull();
    expect(lb.ports).toEqual([`${bind![1]}:${bind![1]}`]);
    const servers = [...cfg.matchAll(/^\s*server (\S+) ([^:\s]+):(\d+) check/gm)].map((m) => ({ name: m[1], host: m[2], port: Number(m[3]) }));
    const brokers = appServices.filter(([, s]) => npmScript(s) === 'broker');
    expect(servers.map((x) => x.host).sort()).toEqual(brokers.map(([n]) => n).sort());
    for (const x of servers) expect(x.port, x.host).toBe(loadConfig(env(services[x.host])).PORT);
    expect(cfg).toMatch(/option httpchk GET \/readyz/);
    const tunnel = /timeout tunnel (\d+)h/.exec(cfg);
    expect(Number(tunnel?.[1]) * 3_600_000).toBeGreaterThan(Math.max(...brokers.map(([, s]) => loadConfig(env(s)).HEARTBEAT_SERVER_SEND_MS)));
    expect(Object.keys(lb.depends_on ?? {}).sort()).toEqual(brokers.map(([n]) => n).sort());
    const published = Object.values(services).flatMap((x) => x.ports ?? []).map((p) => p.split(':')[0]);
    expect(new Set(published).size, 'host ports reused').toBe(published.length);
  });

  it('builds every app service from the Dockerfile into one image, and keeps data in named volumes', () => {
    for (const [name, s] of appServices) {
      expect(s.build, name).toBe('.');
      expect(s.image, name).toBe(services.migrate.image);
    }
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
    for (const name of ['rabbitmq', 'redis', 'postgres']) {
      const vol = services[name].volumes?.[0]?.split(':')[0];
      expect(compose.volumes && vol && vol in compose.volumes, name).toBe(true);
    }
  });
});
