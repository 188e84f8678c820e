/**
 * Every While controller must end by itself even when the samplers in it record nothing.
 *
 * A read loop normally ends through what its reads leave behind: a post-processor extracts
 * the awaited value, or a failed read sets JMeterThread.last_sample_ok to false. A sampler
 * that throws (e.g. the plugin's NumberFormatException, plugin-numbers.ts) does neither:
 * JMeterThread logs the exception, records no sample, runs no post-processor or assertion,
 * and leaves last_sample_ok as it was (JMeter 2.13 wrote a log past 1 GB spinning in such a
 * loop). Its pre-processors did run, but they cannot count either: JMeter caches a function
 * property's value until TestCompiler.done() resets the sampler's elements after a sample,
 * and a throw skips that, so they set the same values every time (2.13 and 5.6.3 alike).
 * What does change per iteration: the While condition (the controller resets its own
 * properties when it starts an iteration) and the Counters directly inside the controller
 * (iteration listeners, fired as each iteration starts).
 *
 * This replays a loop the way JMeter runs it with throwing samplers.
 */
import { evaluate, type EvalContext } from './jmeter-eval';
import { prop, userParameters, type JmxElement } from './jmx-model';
import { PLUGIN_SAMPLERS } from './plan-frames';

/** Past this many silent iterations a loop counts as unbounded. */
export const MOST_CHECKED_ITERATIONS = 100_000;


/** UserParameters acting as a pre-processor (per_iteration false) among some elements. */
function preProcessors(elements: JmxElement[]): JmxElement[] {
  return elements.filter((e) => e.enabled && e.testclass === 'UserParameters' && prop(e, 'UserParameters.per_iteration') !== 'true');
}

/** A per-user Counter (CounterConfig) as JMeter steps it: start, +incr, back to start past end. */
class Counter {
  private next: number;
  private readonly start: number;
  private readonly incr: number;
  private readonly end: number;
  readonly name: string;

  constructor(el: JmxElement, c: EvalContext) {
    const num = (name: string, blank: number) => {
      const v = evaluate(prop(el, name) ?? '', c).trim();
      return v === '' ? blank : Number(v);
    };
    this.start = num('CounterConfig.start', 0);
    this.incr = num('CounterConfig.incr', 0);
    this.end = num('CounterConfig.end', Number.MAX_SAFE_INTEGER);
    this.name = evaluate(prop(el, 'CounterConfig.name') ?? '', c);
    this.next = this.start;
  }

  step(): string {
    const value = this.next;
    this.next += this.incr;
    if (this.next > this.end) this.next = this.start;
    return String(value);
  }
}

export interface SilentRun {
  /** Iterations until the condition said "false", or why it never does. */
  result: number | string;
  /** What the replay read: variable names, and "#threadNum" when it called __threadNum. */
  inputs: string[];
}

/**
 * Replay the loop with throwing samplers from the variables in `ctx` (left untouched). Once
 * the pre-processors have set their (from then on fixed) values, only Counters change; when
 * no variable the condition reads changes in an iteration, the condition gives the same
 * answer for ever (the functions plans may use here are deterministic): reported at once.
 */
export function silentIterations(loop: JmxElement, ancestors: JmxElement[], ctx: EvalContext, limit = MOST_CHECKED_ITERATIONS): SilentRun {
  const inputs = new Set<string>();
  const done = (result: number | string): SilentRun => ({ result, inputs: [...inputs] });
  const body = loop.children.filter((c) => c.enabled);
  const other = body.find((c) => /Controller$/.test(c.testclass));
  if (other) return done(`contains ${other.testclass} "${other.testname}"; the bound check reads only samplers directly inside a While controller`);
  const vars = new Map(ctx.vars);
  let conditionReads = new Set<string>();
  const c: EvalContext = {
    vars,
    props: ctx.props,
    threadNum: ctx.threadNum,
    onUse: (kind, name) => {
      if (kind === 'var') {
        inputs.add(name);
        conditionReads.add(name);
      } else if (kind === 'function' && name === '__threadNum') inputs.add('#threadNum');
    },
  };
  const counters = body.filter((e) => e.testclass === 'CounterConfig').map((e) => new Counter(e, c));
  const outer = preProcessors([...ancestors, loop].flatMap((a) => a.children));
  const samplers = body.filter((e) => PLUGIN_SAMPLERS.has(e.testclass));
  // Each pre-processor's values as first evaluated; no sample means no reset.
  const cached = new Map<JmxElement, Array<readonly [string, string]>>();
  const condition = prop(loop, 'WhileController.condition') ?? '';
  const set = (name: string, value: string, changed: Set<string>) => {
    if (vars.get(name) !== value) changed.add(name);
    vars.set(name, value);
  };
  for (let n = 0; ; n++) {
    conditionReads = new Set();
    // WhileController ends on "false" (any case); blank or LAST mean "last sample ok", still true.
    if (evaluate(condition, c).trim().toLowerCase() === 'false') return done(n);
    if (n === limit) return done(`still running after ${limit} iterations in which no sample was recorded`);
    const changed = new Set<string>();
    for (const counter of counters) set(counter.name, counter.step(), changed);
    for (const s of samplers) {
      for (const up of [...outer, ...preProcessors(s.children)]) {
        let values = cached.get(up);
        if (!values) cached.set(up, (values = userParameters(up).map((p) => [p.name, evaluate(p.value, c)] as const)));
        for (const [name, value] of values) set(name, value, changed);
      }
    }
    if (n > 0 && ![...changed].some((name) => conditionReads.has(name))) {
      return done('nothing its condition reads changes when no sample is recorded (a Counter inside the While controller, read by the condition, would)');
    }
  }
}

/** Replays keyed by what they read, so threads that enter a loop alike share one replay. */
export class SilentRunCache {
  private readonly runs = new Map<JmxElement, Array<{ inputs: string[]; key: string; result: number | string }>>();

  get(loop: JmxElement, ancestors: JmxElement[], ctx: EvalContext): number | string {
    const keyOf = (inputs: string[]) => JSON.stringify(inputs.map((i) => (i === '#threadNum' ? ctx.threadNum : (ctx.vars.get(i) ?? null))));
    const known = this.runs.get(loop) ?? [];
    const hit = known.find((r) => r.key === keyOf(r.inputs));
    if (hit) return hit.result;
    const run = silentIterations(loop, ancestors, ctx);
    known.push({ inputs: run.inputs, key: keyOf(run.inputs), result: run.result });
    this.runs.set(loop, known);
    return run.result;
  }
}
