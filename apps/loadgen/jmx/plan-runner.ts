/**
 * Runs a JMeter plan's thread group against a real broker, interpreting exactly the elements
 * our plans use with JMeter's semantics: thread group (threads, ramp-up, loops), Loop / If /
 * While controllers, User Parameters, Counter, Header Manager, Synchronizing and Constant
 * timers, Flow Control Action, Regular Expression Extractor, Response Assertion, and the
 * WebSocket Samplers plugin's open / single write / single read / close samplers.
 * JMeter cannot run here; this is how the tests prove the plans work.
 * Anything else in a plan is an error. Bounded: While loops and the whole run have limits.
 * A sampler whose numbers the plugin cannot parse behaves as in JMeter (plugin-numbers.ts):
 * a failed sample, or no sample at all and a sampler error (JMeter's log line).
 */
import { evaluate, type EvalContext } from './jmeter-eval';
import { prop, propItems, userParameters, type JmxElement } from './jmx-model';
import { CLOSE, OPEN, planVariables, PLUGIN_SAMPLERS, READ, WRITE } from './plan-frames';
import { samplerNumbers } from './plugin-numbers';
import { WsSamplerConnection } from './ws-sampler-connection';
import { sleep } from '../../shared/sleep';

export interface SampleRecord {
  thread: number;
  label: string;
  ok: boolean;
  /** Why it failed (timeout, unexpected frame, assertion message), or "OK". */
  message: string;
  response: string;
  /** Time the sampler took, ms (connect, write, or waiting for the frame). */
  elapsedMs: number;
  /** When the sample started, ms since the epoch. */
  startedAt: number;
}

export interface RunOptions {
  /** JMeter properties, as given with -Jname=value. */
  props?: Record<string, string>;
  /** Most iterations of one While controller per entry. */
  maxWhileIterations?: number;
  /** Whole run limit, ms. */
  timeoutMs?: number;
  /** A sampler threw instead of sampling: JMeter logs "Error while processing sampler" and records nothing. */
  onSamplerError?(error: SamplerError): void;
}

export interface SamplerError {
  thread: number;
  label: string;
  message: string;
}

const SAMPLERS = new Set([...PLUGIN_SAMPLERS, 'TestAction']);
const CONTROLLERS = new Set(['LoopController', 'IfController', 'WhileController', 'GenericController']);
const SCOPED = new Set(['HeaderManager', 'UserParameters', 'CounterConfig', 'SyncTimer', 'ConstantTimer', 'RegexExtractor', 'ResponseAssertion']);

/** Synchronizing Timer: releases when `size` threads wait, or after the timeout. */
class Barrier {
  private waiting: Array<() => void> = [];
  constructor(
    private readonly size: number,
    private readonly timeoutMs: number,
  ) {}
  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length >= this.size) {
        const all = this.waiting;
        this.waiting = [];
        for (const r of all) r();
      } else if (this.timeoutMs > 0) {
        setTimeout(() => {
          const i = this.waiting.indexOf(resolve);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            resolve();
          }
        }, this.timeoutMs).unref();
      }
    });
  }
}

class PlanThread {
  readonly ctx: EvalContext;
  private conn: WsSamplerConnection | null = null;
  private readonly counters = new Map<JmxElement, number>();
  /** Pre-processor values JMeter still has cached (see preProcess). */
  private readonly preProcessed = new Map<JmxElement, ReadonlyArray<readonly [string, string]>>();

  constructor(
    readonly threadNum: number,
    vars: Map<string, string>,
    private readonly run: PlanRun,
  ) {
    this.ctx = { vars: new Map(vars), props: run.props, threadNum };
  }

  private ev(s: string | undefined): string {
    return evaluate(s ?? '', this.ctx);
  }

  async main(group: JmxElement): Promise<void> {
    const main = group.props.find((p) => p.name === 'ThreadGroup.main_controller');
    const loops = Number(evaluate(main ? (prop(main, 'LoopController.loops') ?? '1') : '1', this.ctx));
    try {
      for (let i = 0; i < loops; i++) {
        this.preProcessed.clear(); // a new thread group iteration evaluates functions afresh
        this.iterationStart(group);
        await this.children(group.children, [group]);
      }
    } finally {
      this.conn?.dispose();
    }
  }

  /** LoopIterationListeners directly under a controller: per-iteration parameters and counters. */
  private iterationStart(controller: JmxElement): void {
    for (const el of controller.children) {
      if (!el.enabled) continue;
      if (el.testclass === 'UserParameters' && prop(el, 'UserParameters.per_iteration') === 'true') this.setUserParameters(el);
      if (el.testclass === 'CounterConfig') {
        const start = Number(this.ev(prop(el, 'CounterConfig.start')));
        const endText = this.ev(prop(el, 'CounterConfig.end')).trim();
        const end = endText === '' ? Infinity : Number(endText); // blank: Long.MAX_VALUE in JMeter
        const incr = Number(this.ev(prop(el, 'CounterConfig.incr')) || '1');
        const prev = this.counters.get(el);
        const next = prev === undefined || prev + incr > end ? start : prev + incr;
        this.counters.set(el, next);
        this.ctx.vars.set(prop(el, 'CounterConfig.name') ?? '', String(next));
      }
    }
  }

  private setUserParameters(el: JmxElement): void {
    const values = userParameters(el).map((p) => [p.name, this.ev(p.value)] as const);
    for (const [n, v] of values) this.ctx.vars.set(n, v);
  }

  /**
   * A UserParameters pre-processor. JMeter caches each function property's value until
   * TestCompiler.done() resets the sampler's elements after a sample; a sampler that throws
   * skips that, so the next run of the pre-processor sets the same values again.
   */
  private preProcess(el: JmxElement): void {
    let values = this.preProcessed.get(el);
    if (!values) this.preProcessed.set(el, (values = userParameters(el).map((p) => [p.name, this.ev(p.value)] as const)));
    for (const [n, v] of values) this.ctx.vars.set(n, v);
  }

  private async children(elements: JmxElement[], ancestors: JmxElement[]): Promise<void> {
    for (const el of elements) {
      if (!el.enabled) continue;
      this.run.checkTime();
      if (SAMPLERS.has(el.testclass)) await this.sample(el, ancestors);
      else if (CONTROLLERS.has(el.testclass)) await this.controller(el, [...ancestors, el]);
      else if (!SCOPED.has(el.testclass)) throw new Error(`plan runner does not know ${el.testclass} ("${el.testname}")`);
    }
  }

  private async controller(el: JmxElement, path: JmxElement[]): Promise<void> {
    switch (el.testclass) {
      case 'LoopController': {
        const loops = Number(this.ev(prop(el, 'LoopController.loops')));
        for (let i = 0; i < loops; i++) {
          this.iterationStart(el);
          await this.children(el.children, path);
        }
        return;
      }
      case 'IfController':
        if (prop(el, 'IfController.useExpression') !== 'true') throw new Error(`IfController "${el.testname}" must interpret its condition as a variable expression`);
        if (this.ev(prop(el, 'IfController.condition')) === 'true') await this.children(el.children, path);
        return;
      case 'WhileController': {
        let n = 0;
        while (this.ev(prop(el, 'WhileController.condition')).trim().toLowerCase() !== 'false') {
          if (++n > this.run.maxWhileIterations) throw new Error(`While "${el.testname}" ran ${n - 1} times without ending`);
          this.iterationStart(el); // Counters inside count every iteration, sample or not
          await this.children(el.children, path);
        }
        return;
      }
      default:
        await this.children(el.children, path);
    }
  }

  /** Elements that apply to a sampler: those at each enclosing level, then its own children. */
  private scope(el: JmxElement, ancestors: JmxElement[], testclass: string): JmxElement[] {
    const levels = [...ancestors.map((a) => a.children), el.children];
    return levels.flatMap((kids) => kids.filter((k) => k.enabled && k.testclass === testclass));
  }

  private async sample(el: JmxElement, ancestors: JmxElement[]): Promise<void> {
    for (const t of [...this.scope(el, ancestors, 'SyncTimer'), ...this.scope(el, ancestors, 'ConstantTimer')]) {
      if (t.testclass === 'SyncTimer') await this.run.barrier(t).arrive();
      else await sleep(Number(this.ev(prop(t, 'ConstantTimer.delay'))));
    }
    const pre = this.scope(el, ancestors, 'UserParameters').filter((p) => prop(p, 'UserParameters.per_iteration') !== 'true');
    for (const p of pre) this.preProcess(p);
    if (el.testclass === 'TestAction') {
      for (const p of pre) this.preProcessed.delete(p); // no sample result, but done() all the same
      return;
    }

    const numbers = samplerNumbers(el, (raw) => this.ev(raw));
    if (numbers.kind === 'throws') {
      // Nothing recorded, no post-processor or assertion, last_sample_ok unchanged.
      this.run.samplerError({ thread: this.threadNum, label: el.testname, message: numbers.message });
      return;
    }
    const startedAt = Date.now();
    const t0 = performance.now();
    const rec: SampleRecord = { thread: this.threadNum, label: el.testname, ok: true, message: 'OK', response: '', elapsedMs: 0, startedAt };
    try {
      if (numbers.kind === 'fails') throw new Error(numbers.message);
      await this.execute(el, ancestors, rec, numbers.values);
    } catch (e) {
      rec.ok = false;
      rec.message = e instanceof Error ? e.message : String(e);
    }
    rec.elapsedMs = performance.now() - t0;
    for (const x of this.scope(el, ancestors, 'RegexExtractor')) this.extract(x, rec.response);
    for (const a of this.scope(el, ancestors, 'ResponseAssertion')) if (rec.ok) this.assert(a, rec);
    this.ctx.vars.set('JMeterThread.last_sample_ok', String(rec.ok));
    this.run.samples.push(rec);
    for (const p of pre) this.preProcessed.delete(p); // TestCompiler.done()
  }

  /** `n`: the sampler's numbers as the plugin parsed them (timeouts, status code). */
  private async execute(el: JmxElement, ancestors: JmxElement[], rec: SampleRecord, n: Record<string, number>): Promise<void> {
    switch (el.testclass) {
      case OPEN: {
        this.conn?.dispose();
        this.conn = null;
        const headers: Record<string, string> = {};
        for (const hm of this.scope(el, ancestors, 'HeaderManager')) {
          for (const h of propItems(hm, 'HeaderManager.headers')) headers[this.ev(prop(h, 'Header.name'))] = this.ev(prop(h, 'Header.value'));
        }
        const scheme = prop(el, 'TLS') === 'true' ? 'wss' : 'ws';
        const url = `${scheme}://${this.ev(prop(el, 'server'))}:${this.ev(prop(el, 'port'))}${this.ev(prop(el, 'path'))}`;
        this.conn = await WsSamplerConnection.open(url, headers, n.connectTimeout);
        return;
      }
      case WRITE:
        if (prop(el, 'createNewConnection') === 'true') throw new Error('plans reuse the opened connection');
        if (!this.conn) throw new Error('Sampler configured for using existing connection, but there is no connection');
        this.conn.sendText(this.ev(prop(el, 'requestData')));
        return;
      case READ: {
        if (!this.conn) throw new Error('Sampler configured for using existing connection, but there is no connection');
        const e = await this.conn.next(n.readTimeout);
        if (!e) throw new Error('Read timeout');
        if (e.kind !== 'text') throw new Error(`received not a text frame but ${e.kind}`);
        rec.response = e.data;
        return;
      }
      case CLOSE: {
        if (!this.conn) return;
        this.conn.close(n.statusCode);
        const e = await this.conn.next(n.readTimeout);
        if (!e) throw new Error('Read timeout');
        // The plugin's CloseWebSocketSampler: anything but the close frame is an error.
        if (e.kind !== 'close') throw new Error(`WebSocket error: unsuccesful close: received not a close frame but a ${e.kind} frame`);
        rec.response = `${e.code}: ${e.reason}`;
        this.conn.dispose();
        this.conn = null;
        return;
      }
    }
  }

  private extract(x: JmxElement, response: string): void {
    if (prop(x, 'RegexExtractor.useHeaders') !== 'false') throw new Error(`RegexExtractor "${x.testname}" must read the body`);
    const ref = prop(x, 'RegexExtractor.refname') ?? '';
    const m = new RegExp(this.ev(prop(x, 'RegexExtractor.regex'))).exec(response);
    const template = prop(x, 'RegexExtractor.template') ?? '$1$';
    const value = m ? template.replace(/\$(\d+)\$/g, (_s, g: string) => m[Number(g)] ?? '') : this.ev(prop(x, 'RegexExtractor.default'));
    this.ctx.vars.set(ref, value);
  }

  /** Response Assertion on the response data: test types 1 match, 2 contains, 8 equals, 16 substring; 4 = not. */
  private assert(a: JmxElement, rec: SampleRecord): void {
    const type = Number(prop(a, 'Assertion.test_type'));
    const not = (type & 4) !== 0;
    const or = (type & 32) !== 0;
    const results = propItems(a, 'Asserion.test_strings').map((p) => {
      const pattern = this.ev(p.value);
      let hit: boolean;
      if (type & 16) hit = rec.response.includes(pattern);
      else if (type & 8) hit = rec.response === pattern;
      else if (type & 1) hit = new RegExp(`^(?:${pattern})$`).test(rec.response);
      else hit = new RegExp(pattern).test(rec.response);
      return not ? !hit : hit;
    });
    const pass = or ? results.some(Boolean) : results.every(Boolean);
    if (!pass) {
      rec.ok = false;
      rec.message = this.ev(prop(a, 'Assertion.custom_message')) || `assertion "${a.testname}" failed`;
    }
  }
}

class PlanRun {
  readonly samples: SampleRecord[] = [];
  readonly props: Record<string, string>;
  readonly maxWhileIterations: number;
  private readonly barriers = new Map<JmxElement, Barrier>();
  private readonly deadline: number;

  constructor(
    private readonly opts: RunOptions,
    private readonly threadCount: number,
  ) {
    this.props = opts.props ?? {};
    this.maxWhileIterations = opts.maxWhileIterations ?? 10_000;
    this.deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  }

  barrier(timer: JmxElement): Barrier {
    let b = this.barriers.get(timer);
    if (!b) {
      const size = Number(evaluate(prop(timer, 'groupSize') ?? '0', { vars: new Map(), props: this.props, threadNum: 0 }));
      b = new Barrier(size > 0 ? size : this.threadCount, Number(prop(timer, 'timeoutInMs') ?? '0'));
      this.barriers.set(timer, b);
    }
    return b;
  }

  samplerError(e: SamplerError): void {
    this.opts.onSamplerError?.(e);
  }

  checkTime(): void {
    if (Date.now() > this.deadline) throw new Error('plan run exceeded its time limit');
  }
}

/** Run every enabled thread group of the plan; resolves with every sample, in completion order. */
export async function runPlan(testPlan: JmxElement, opts: RunOptions = {}): Promise<SampleRecord[]> {
  const props = opts.props ?? {};
  const vars = planVariables(testPlan, props);
  const all: SampleRecord[] = [];
  for (const group of testPlan.children.filter((g) => g.enabled && g.testclass === 'ThreadGroup')) {
    const ctx = { vars, props, threadNum: 0 };
    const threads = Number(evaluate(prop(group, 'ThreadGroup.num_threads') ?? '1', ctx));
    const rampMs = Number(evaluate(prop(group, 'ThreadGroup.ramp_time') ?? '0', ctx)) * 1000;
    if (!(threads > 0 && threads <= 5000)) throw new Error(`thread count ${threads} outside 1..5000`);
    const run = new PlanRun(opts, threads);
    const started: Promise<void>[] = [];
    for (let t = 1; t <= threads; t++) {
      const delay = threads > 1 ? (rampMs * (t - 1)) / threads : 0;
      started.push(sleep(delay).then(() => new PlanThread(t, vars, run).main(group)));
    }
    const results = await Promise.allSettled(started);
    const crashed = results.find((r) => r.status === 'rejected');
    if (crashed) throw (crashed as PromiseRejectedResult).reason;
    all.push(...run.samples);
  }
  return all;
}
