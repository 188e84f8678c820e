/** BROKER_PROCESSES: what several processes need, and `npm start` refusing clearly without it. */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config';
import { PROJECT_ROOT } from '../../shared/project-root';
import { processCount, processesRefusal } from './processes';

describe('BROKER_PROCESSES', () => {
  it('counts `auto` as one process per core, and one process needs nothing more', () => {
    expect(processCount(loadConfig({ BROKER_PROCESSES: 'auto' }))).toBe(availableParallelism());
    expect(processCount(loadConfig({}))).toBe(1);
    expect(processesRefusal(loadConfig({}))).toBeNull();
    expect(() => loadConfig({ BROKER_PROCESSES: '0' })).toThrow(/BROKER_PROCESSES/);
  });

  it('several processes need RabbitMQ with the cluster on and a database every process can open', () => {
    expect(processesRefusal(loadConfig({ BROKER_PROCESSES: '2' }))).toMatch(/needs AMQP_URL .* and DATABASE_URL/);
    expect(processesRefusal(loadConfig({ BROKER_PROCESSES: '2', AMQP_URL: 'amqp://h', CLUSTER_ENABLED: 'false', DATABASE_URL: 'postgresql://h/db' }))).toMatch(/CLUSTER_ENABLED=true/);
    expect(processesRefusal(loadConfig({ BROKER_PROCESSES: '2', AMQP_URL: 'amqp://h', DATABASE_URL: 'postgresql://h/db' }))).toBeNull();
  });

  it('npm start with BROKER_PROCESSES=2 and the embedded default exits 2 saying what is missing', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'apps/all-in-one/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, BROKER_PROCESSES: '2', AMQP_URL: '', DATABASE_URL: '', REDIS_URL: '', PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('BROKER_PROCESSES=2 runs 2 broker processes, which needs AMQP_URL');
  }, 60_000);
});
