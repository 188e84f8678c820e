import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseDuration, parseLoadArgs, UsageError, type LoadOptions } from './options';

const parse = (...argv: string[]): LoadOptions => {
  const r = parseLoadArgs(argv);
  if (r.help) throw new Error('help');
  return r.options;
};

describe('parseLoadArgs', () => {
  it('defaults to the seed-003 rooms plan', () => {
    const o = parse();
    expect(o).toMatchObject({ scenario: 'rooms', users: 30, roomSize: 6, sendersPerRoom: 1, messages: 10, window: 0, url: DEFAULTS.url });
    expect(o.runId).toMatch(/^[a-z0-9]+$/);
  });

  it('reads scenario, shape, durations and target options', () => {
    const o = parse(
      'throughput', '--url', 'ws://10.0.0.1:15674/ws', '--users', '1800', '--room-size', '6', '--senders', '2',
      '--duration', '1.5s', '--drain', '250ms', '--timeout', '2m', '--login', 'guest', '--passcode', 'guest',
      '--host', '/', '--subprotocol', 'none', '--workers', '0', '--run-id', 'abc', '--send-receipts', '--broker-pid', '42',
    );
    expect(o).toMatchObject({
      scenario: 'throughput', url: 'ws://10.0.0.1:15674/ws', users: 1800, sendersPerRoom: 2, durationMs: 1500, drainMs: 250,
      timeoutMs: 120_000, login: 'guest', passcode: 'guest', host: '/', subprotocols: [], workers: 0, runId: 'abc',
      sendReceipts: true, brokerPid: 42,
    });
    expect(o.window).toBe(20); // throughput keeps a window by default
  });

  it('builds destinations from prefix and naming', () => {
    expect(parse('--naming', 'slashes', '--dest-prefix', '/topic/chat/').destination).toBe('/topic/chat/room/{room}');
    expect(parse('--naming', 'dots').destination).toBe('/topic/room.{room}');
    expect(parse('--destination', '/exchange/amq.topic/room.{room}').destination).toBe('/exchange/amq.topic/room.{room}');
  });

  it('rejects bad input with a message naming the option', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--users', 'ten'], /--users/],
      [['--users', '0'], /--users: 0 is outside/],
      [['--duration', '5 minutes'], /--duration/],
      [['--url', 'http://x/ws'], /--url/],
      [['--naming', 'camel'], /--naming/],
      [['--destination', '/topic/fixed'], /\{room\}/],
      [['--senders', '7'], /--senders/],
      [['--token', 'a', '--jwt-secret', 'b'], /exclude/],
      [['--heartbeat', '10000'], /--heartbeat/],
      [['--no-such-flag'], /no-such-flag/],
      [['storm'], /unknown scenario/],
      [['--run-id', 'has space'], /--run-id/],
    ];
    for (const [argv, re] of bad) {
      expect(() => parseLoadArgs(argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parseLoadArgs(argv)).toThrow(re);
    }
  });

  it('answers --help', () => {
    expect(parseLoadArgs(['-h'])).toEqual({ help: true });
  });
});

describe('parseDuration', () => {
  it('accepts ms, s, m and bare numbers', () => {
    expect(parseDuration('x', '250ms')).toBe(250);
    expect(parseDuration('x', '10s')).toBe(10_000);
    expect(parseDuration('x', '2m')).toBe(120_000);
    expect(parseDuration('x', '75')).toBe(75);
  });
});
