/**
 * Runs the JMeter plans against our broker with a small interpreter of the plan elements
 * (apps/loadgen/jmx/plan-runner.ts; JMeter itself cannot run here): every sample must succeed,
 * every member must read every message, and the close must meet no unread frame. A control
 * run of the plan's original shape (read once, then close) shows the runner does reproduce
 * JMeter's close error ("received not a close frame"), so a passing run means something.
 * Reads whose sampler throws (an unparseable number, as JMeter 2.13 met) record nothing, as
 * in JMeter; the plans' read loops still end, at their bounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../broker/broker';
import { parseJmx, type JmxElement } from './jmx-model';
import { READ } from './plan-frames';
import { runPlan, type SamplerError, type SampleRecord } from './plan-runner';
import { aggregate, formatTable } from './run-plan';

const JMETER_DIR = join(import.meta.dirname, '..', '..', '..', 'jmeter');
const load = (file: string) => parseJmx(readFileSync(join(JMETER_DIR, file), 'utf8'))[0];

/** A copy of the plan whose named samplers carry an empty connectTimeout, which the plugin cannot parse. */
function withEmptyConnectTimeout(plan: JmxElement, names: string[]): JmxElement {
  const visit = (el: JmxElement): JmxElement => ({
    ...el,
    props: names.includes(el.testname) ? el.props.map((p) => (p.name === 'connectTimeout' ? { ...p, value: '' } : p)) : el.props,
    children: el.children.map(visit),
  });
  return visit(plan);
}

/** Per-label counts, via the same aggregation the run-plan CLI prints. */
function summary(samples: SampleRecord[]): Record<string, { n: number; failed: number; first?: string }> {
  return Object.fromEntries(aggregate(samples).map((a) => [a.label, { n: a.samples, failed: a.errors, first: a.firstError }]));
}

describe('JMeter plans run against our broker', () => {
  let broker: BrokerHandle;
  let base: Record<string, string>;

  beforeAll(async () => {
    broker = await startBroker({ env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' } });
    base = { host: '127.0.0.1', port: String(broker.port), path: '/ws', rampUp: '0', readTimeout: '5000', connectTimeout: '5000' };
  });

  afterAll(async () => {
    await broker?.close();
  });

  it('seed-003: 14 users in rooms of 6 (one partial room), one sender each, 10 messages; no sample fails', async () => {
    const users = 14;
    const messages = 10;
    const samples = await runPlan(load('seed-003-rooms.jmx'), { props: { ...base, users: String(users), roomSize: '6', messages: String(messages), roomPrefix: '/topic/room.jm-seed-' } });
    const s = summary(samples);
    expect(samples.filter((x) => !x.ok), formatTable(aggregate(samples))).toEqual([]);
    expect(s['01 open WebSocket'].n).toBe(users);
    expect(s['08 SEND'].n).toBe(3 * messages); // rooms 0, 1 and the partial room 2
    expect(s['10 read MESSAGE'].n).toBe(users * messages); // every member read every message
    expect(s['15 close WebSocket'].n).toBe(users);
    // The drain ended at the DISCONNECT receipt.
    const drained = samples.filter((x) => x.label === '14 read until RECEIPT');
    expect(drained.every((x) => x.response.startsWith('RECEIPT\n'))).toBe(true);
  }, 60_000);

  it('soak: 10 users in rooms of 4, everyone sends every round; no sample fails', async () => {
    const users = 10;
    const rounds = 3;
    const samples = await runPlan(load('soak.jmx'), { props: { ...base, users: String(users), roomSize: '4', rounds: String(rounds), interval: '20', roomPrefix: '/topic/room.jm-soak-' } });
    const s = summary(samples);
    expect(samples.filter((x) => !x.ok), JSON.stringify(s)).toEqual([]);
    expect(s['08 SEND'].n).toBe(users * rounds);
    // Rooms of 4, 4 and 2: each member reads one message per member per round.
    expect(s['10 read MESSAGE'].n).toBe((4 * 4 + 4 * 4 + 2 * 2) * rounds);
    expect(s['15 close WebSocket'].n).toBe(users);
  }, 60_000);

  it('reads whose sampler throws record nothing, and the read loops still end at their bounds', async () => {
    const users = 8;
    const messages = 10;
    const plan = withEmptyConnectTimeout(load('seed-003-rooms.jmx'), ['10 read MESSAGE', '14 read until RECEIPT']);
    const errors: SamplerError[] = [];
    const props = { ...base, users: String(users), messages: String(messages), maxDrainReads: '20', roomPrefix: '/topic/room.jm-broken-' };
    const samples = await runPlan(plan, { props, onSamplerError: (e) => errors.push(e) });
    const s = summary(samples);
    const perLabel = (label: string) => errors.filter((e) => e.label === label).length;
    expect(perLabel('10 read MESSAGE')).toBe(users * messages); // bounded by messages
    expect(perLabel('14 read until RECEIPT')).toBe(users * 20); // bounded by maxDrainReads
    expect(errors[0].message).toContain('NumberFormatException: For input string: ""');
    expect(s['10 read MESSAGE']).toBeUndefined();
    // The thread ends with errors: its close meets the frames nobody could read.
    expect(s['15 close WebSocket']).toMatchObject({ n: users, failed: users });
    expect(s['15 close WebSocket'].first).toContain('received not a close frame');
  }, 60_000);

  it('control: without its Counter, the same broken read spins until the runner stops it', async () => {
    const plan = withEmptyConnectTimeout(load('seed-003-rooms.jmx'), ['14 read until RECEIPT']);
    const drop = (el: JmxElement): JmxElement => ({ ...el, children: el.children.filter((c) => !(c.testclass === 'CounterConfig' && el.testclass === 'WhileController')).map(drop) });
    const run = runPlan(drop(plan), { props: { ...base, users: '2', roomPrefix: '/topic/room.jm-spin-' }, maxWhileIterations: 500 });
    await expect(run).rejects.toThrow(/ran 500 times without ending/);
  }, 60_000);

  it('control: the original shape (one read, no drain before close) fails its closes here too', async () => {
    const plan = load('seed-003-rooms.jmx');
    const group = plan.children[0];
    const readLoop = group.children.find((e) => e.testclass === 'WhileController' && e.testname.includes('every MESSAGE'))!;
    const drain = group.children.find((e) => e.testclass === 'WhileController' && e.testname.includes('what is left'))!;
    const singleRead: JmxElement = { ...readLoop.children.find((c) => c.testclass === READ)!, children: [] };
    const seedShape: JmxElement = {
      ...plan,
      children: [{ ...group, children: group.children.filter((e) => e !== drain).map((e) => (e === readLoop ? singleRead : e)) }],
    };
    const samples = await runPlan(seedShape, { props: { ...base, users: '6', roomSize: '6', messages: '10', roomPrefix: '/topic/room.jm-control-' } });
    const closes = samples.filter((x) => x.label === '15 close WebSocket');
    expect(closes).toHaveLength(6);
    expect(closes.filter((x) => !x.ok).length).toBe(6);
    expect(closes[0].message).toContain('received not a close frame');
  }, 60_000);
});
