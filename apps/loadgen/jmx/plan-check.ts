/**
 * Refuses what real JMeter (Debian's 2.13 and 5.x) with the WebSocket Samplers plugin would
 * not run as written, though the plan parses:
 * - a function missing from either JMeter (it would be sent as literal text),
 * - a number the plugin parses that is not one, on any sampler (plugin-numbers.ts),
 * - a While loop that does not end when its samplers record nothing (read-loop-bounds.ts).
 * Numbers and loops are checked for every thread, with its own variables, as JMeter reaches them.
 */
import { evaluate } from './jmeter-eval';
import { calledFunctions, functionProblem } from './jmeter-functions';
import { allScalarValues, prop, walk, type JmxElement } from './jmx-model';
import { planVariables, PLUGIN_SAMPLERS, walkThread } from './plan-frames';
import { samplerNumberProblems } from './plugin-numbers';
import { SilentRunCache } from './read-loop-bounds';


export interface CheckOptions {
  /** JMeter properties (-Jname=value); defaults otherwise. */
  props?: Record<string, string>;
  /** Threads to check; default: every thread the plan starts with these properties. */
  threads?: number;
}

/** Functions called anywhere in the plan that JMeter 2.13 or 5.x does not have. */
function functionProblems(testPlan: JmxElement): string[] {
  const out: string[] = [];
  for (const { el } of walk([testPlan])) {
    for (const name of allScalarValues(el.props).flatMap(calledFunctions)) {
      const problem = functionProblem(name);
      if (problem) out.push(`"${el.testname}": ${problem}`);
    }
  }
  return out;
}

function threadCount(testPlan: JmxElement, props: Record<string, string>): number {
  const vars = planVariables(testPlan, props);
  const groups = testPlan.children.filter((g) => g.enabled && g.testclass === 'ThreadGroup');
  return Math.max(0, ...groups.map((g) => Number(evaluate(prop(g, 'ThreadGroup.num_threads') ?? '1', { vars, props, threadNum: 0 }))));
}

/** Every problem found, each naming its element; an empty list means the plan passes. */
export function checkPlan(testPlan: JmxElement, opts: CheckOptions = {}): string[] {
  const functions = functionProblems(testPlan);
  if (functions.length) return [...new Set(functions)]; // evaluating the plan would stop at them
  const props = opts.props ?? {};
  const threads = opts.threads ?? threadCount(testPlan, props);
  const problems = new Set<string>();
  const reached = new Set<JmxElement>();
  const loops = new SilentRunCache();
  for (let t = 1; t <= threads; t++) {
    let at: JmxElement | undefined;
    try {
      walkThread(testPlan, t, props, ({ el, ancestors, ctx }) => {
        at = el;
        reached.add(el);
        if (PLUGIN_SAMPLERS.has(el.testclass)) for (const p of samplerNumberProblems(el, (raw) => evaluate(raw, ctx))) problems.add(p);
        if (el.testclass === 'WhileController') {
          const n = loops.get(el, ancestors, ctx);
          if (typeof n === 'string') problems.add(`"${el.testname}": unbounded read loop: ${n}`);
        }
      });
    } catch (e) {
      // An undefined variable or a function this checker cannot evaluate: say so once, and
      // stop (the other threads would stop at the same place).
      problems.add(`thread ${t}${at ? ` after "${at.testname}"` : ''}: ${e instanceof Error ? e.message : String(e)}`);
      return [...problems];
    }
  }
  for (const { el } of walk(testPlan.children)) {
    if ((PLUGIN_SAMPLERS.has(el.testclass) || el.testclass === 'WhileController') && !reached.has(el)) {
      problems.add(`"${el.testname}": none of ${threads} threads reaches it, so it cannot be checked`);
    }
  }
  return [...problems];
}
