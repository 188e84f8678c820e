/**
 * The load shapes the benchmarks run, as load-generator argument lists, so `npm run load`
 * reproduces any row by hand (the README lists them).
 */
import { parseLoadArgs, type LoadOptions } from '../cli/options';

/** bench:core (a)/(b) and the bench throughput row: 300 rooms × 6, one sender each, 20 in flight. */
export const FANOUT_ARGS = ['throughput', '--users', '1800', '--room-size', '6', '--senders', '1', '--window', '20'];

/** Seed-003: rooms of 6, one sender, 10 messages, everyone subscribed (with receipt) first. */
export const seed003Args = (users: number) => ['rooms', '--users', String(users), '--room-size', '6', '--senders', '1', '--messages', '10'];

/**
 * Unreported warm-up before measuring a fresh broker: JIT-compiles the hot paths of both
 * sides (the load generator's pool threads persist across runs), as a server in service is.
 */
export const WARMUP_ARGS = ['throughput', '--users', '600', '--window', '10', '--duration', '2s', '--progress', 'none'];

export const idleArgs = (users: number) => ['idle', '--users', String(users)];

export function loadOptions(args: string[], common: string[]): LoadOptions {
  const r = parseLoadArgs([...args, ...common]);
  if (r.help) throw new Error('unexpected --help');
  return r.options;
}
