/**
 * `--jwt-secret --join` against a broker whose rooms need membership: without --join every
 * user is refused (ERROR forbidden); with it the rooms and memberships are created over REST
 * first and the run completes with nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../broker/broker';
import { restApi } from '../../broker/http/rest-api';
import { loadConfig } from '../../shared/config';
import { MemoryMembershipEvents } from '../../shared/membership/memory-membership-events';
import { FakeStore } from '../../shared/testing/fake-store';
import { runLoad } from '../run/run-load';
import { testOptions } from './helpers';

const SECRET = 'load-test-secret-of-at-least-32-bytes-012345';
let broker: BrokerHandle;

beforeAll(async () => {
  const config = loadConfig({ JWT_SECRET: SECRET, PORT: '0', LOG_LEVEL: 'silent' });
  const store = new FakeStore();
  const events = new MemoryMembershipEvents({});
  broker = await startBroker({ config, members: store, membershipEvents: events, routes: { data: restApi(config, { store, membershipEvents: events }) } });
});
afterAll(async () => {
  await broker?.close();
});

describe('load generator with --jwt-secret against rooms for members', () => {
  it('is refused without --join', async () => {
    const r = await runLoad(testOptions(broker.url, 'rooms', '--users', '6', '--messages', '1', '--jwt-secret', SECRET));
    expect(r.errors['stomp-error-forbidden']).toBeGreaterThan(0);
  });

  it('completes with --join: rooms and members made over REST first', async () => {
    const r = await runLoad(testOptions(broker.url, 'rooms', '--users', '12', '--messages', '3', '--jwt-secret', SECRET, '--join'));
    expect(r.errors).toEqual({});
    expect(r.deliveries).toMatchObject({ planned: 36, unique: 36, lost: 0, duplicated: 0, outOfOrder: 0 });
  });
});
