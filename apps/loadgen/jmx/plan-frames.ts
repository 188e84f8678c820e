/**
 * Static reading of a JMeter plan: which STOMP frames each SingleWrite sampler would send for
 * a given thread, with JMeter functions and properties evaluated (defaults unless overridden),
 * and where the plan's controllers, barrier and reads sit. Used by apps/loadgen/jmx/jmeter-plans.test.ts.
 */
import { evaluate, type EvalContext } from './jmeter-eval';
import { allScalarValues, prop, userDefinedVariables, userParameters, type JmxElement } from './jmx-model';

export const PLUGIN = 'eu.luminis.jmeter.wssampler.';
export const WRITE = `${PLUGIN}SingleWriteWebSocketSampler`;
export const READ = `${PLUGIN}SingleReadWebSocketSampler`;
export const OPEN = `${PLUGIN}OpenWebSocketSampler`;
export const CLOSE = `${PLUGIN}CloseWebSocketSampler`;

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

/**
 * Walk the plan in document order for one thread, defining variables as JMeter would on the
 * first pass (user parameters, counters at their start value, extractor defaults) and
 * evaluating every write sampler's payload.
 */
export function framesForThread(
  testPlan: JmxElement,
  threadNum: number,
  props: Record<string, string> = {},
  onUse?: EvalContext['onUse'],
): WrittenFrame[] {
  const vars = planVariables(testPlan, props, onUse);
  vars.set('JMeterThread.last_sample_ok', 'true');
  const ctx: EvalContext = { vars, props, threadNum, onUse };
  const out: WrittenFrame[] = [];
  const visit = (elements: JmxElement[], ancestors: JmxElement[]): void => {
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
          out.push({ sampler: el, ancestors, text: evaluate(prop(el, 'requestData') ?? '', ctx) });
          break;
        case 'IfController':
          // A thread only sends what its If controllers let through (e.g. the room's sender).
          if (evaluate(prop(el, 'IfController.condition') ?? '', ctx) !== 'true') continue;
          break;
        default:
          // Evaluate every other setting too, so an undefined variable anywhere fails.
          for (const v of allScalarValues(el.props)) evaluate(v, ctx);
      }
      visit(el.children, [...ancestors, el]);
    }
  };
  visit(testPlan.children, []);
  return out;
}
