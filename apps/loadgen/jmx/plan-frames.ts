/**
 * Static reading of a JMeter plan: which STOMP frames each SingleWrite sampler would send for
 * a given thread, with JMeter functions and properties evaluated (defaults unless overridden),
 * and where the plan's controllers, barrier and reads sit; and the per-thread walk the plan
 * checker (plan-check.ts) reads each sampler and loop with. Used by jmeter-plans.test.ts.
 */
import { evaluate, type EvalContext } from './jmeter-eval';
import { allScalarValues, prop, userDefinedVariables, userParameters, type JmxElement } from './jmx-model';

export const PLUGIN = 'eu.luminis.jmeter.wssampler.';
export const WRITE = `${PLUGIN}SingleWriteWebSocketSampler`;
export const READ = `${PLUGIN}SingleReadWebSocketSampler`;
export const OPEN = `${PLUGIN}OpenWebSocketSampler`;
export const CLOSE = `${PLUGIN}CloseWebSocketSampler`;
/** The plugin's samplers the plans use. */
export const PLUGIN_SAMPLERS: ReadonlySet<string> = new Set([OPEN, WRITE, READ, CLOSE]);

export interface WrittenFrame {
  sampler: JmxElement;
  ancestors: JmxElement[];
  /** requestData after evaluation: the exact text frame JMeter would send. */
  text: string;
}

/** Variables of the test plan after its User Defined Variables ran (threadNum 0, as in JMeter). */
export function planVariables(testPlan: JmxElement, props: Record<string, string>, onUse?: EvalContext['onUse']): Map<string, string> {
  const vars = new Map<string, string>();
  for (const u of userDefinedVariables(testPlan)) vars.set(u.name, evaluate(u.value, { vars, props, threadNum: 0, onUse }));
  return vars;
}

/** One element a thread reaches, with its variables as they are when JMeter gets there. */
export interface ThreadStep {
  el: JmxElement;
  ancestors: JmxElement[];
  ctx: EvalContext;
}

/**
 * Walk the plan in document order for one thread, each element once (a static reading: loop
 * bodies are seen once), defining variables as JMeter would on the first pass (user
 * parameters, counters at their start value, extractor defaults). `visit` sees every element
 * the thread reaches: If controllers let through only what their condition allows.
 */
export function walkThread(
  testPlan: JmxElement,
  threadNum: number,
  props: Record<string, string>,
  visit: (step: ThreadStep) => void,
  onUse?: EvalContext['onUse'],
): void {
  const vars = planVariables(testPlan, props, onUse);
  vars.set('JMeterThread.last_sample_ok', 'true');
  const ctx: EvalContext = { vars, props, threadNum, onUse };
  const walk = (elements: JmxElement[], ancestors: JmxElement[]): void => {
    for (const el of elements) {
      if (!el.enabled) continue;
      switch (el.testclass) {
        case 'UserParameters': {
          const values = userParameters(el).map((p) => ({ name: p.name, value: evaluate(p.value, ctx) }));
          for (const p of values) vars.set(p.name, p.value);
          break;
        }
        case 'CounterConfig':
          vars.set(prop(el, 'CounterConfig.name') ?? '', evaluate(prop(el, 'CounterConfig.start') ?? '', ctx));
          break;
        case 'RegexExtractor': {
          const ref = prop(el, 'RegexExtractor.refname') ?? '';
          if (!vars.has(ref)) vars.set(ref, evaluate(prop(el, 'RegexExtractor.default') ?? '', ctx));
          break;
        }
        case WRITE:
          break; // its payload is evaluated by whoever visits it
        case 'IfController':
          // A thread only runs what its If controllers let through (e.g. the room's sender).
          if (evaluate(prop(el, 'IfController.condition') ?? '', ctx) !== 'true') continue;
          break;
        default:
          // Evaluate every other setting too, so an undefined variable anywhere fails.
          for (const v of allScalarValues(el.props)) evaluate(v, ctx);
      }
      visit({ el, ancestors, ctx });
      walk(el.children, [...ancestors, el]);
    }
  };
  walk(testPlan.children, []);
}

/** Every frame one thread's write samplers would send, evaluated for that thread. */
export function framesForThread(
  testPlan: JmxElement,
  threadNum: number,
  props: Record<string, string> = {},
  onUse?: EvalContext['onUse'],
): WrittenFrame[] {
  const out: WrittenFrame[] = [];
  walkThread(
    testPlan,
    threadNum,
    props,
    ({ el, ancestors, ctx }) => {
      if (el.testclass === WRITE) out.push({ sampler: el, ancestors, text: evaluate(prop(el, 'requestData') ?? '', ctx) });
    },
    onUse,
  );
  return out;
}
