/**
 * The plan checker (plan-check.ts) refuses what real JMeter with the WebSocket Samplers plugin
 * would not run as written. Each case takes a shipped plan and breaks one thing in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PORTABLE_FUNCTIONS } from './jmeter-functions';
import { parseJmx, prop, walk, type JmxElement } from './jmx-model';
import { checkPlan } from './plan-check';
import { PLUGIN_SAMPLERS, READ, walkThread } from './plan-frames';
import { parseJavaInt } from './plugin-numbers';
import { silentIterations } from './read-loop-bounds';

const JMETER_DIR = join(import.meta.dirname, '..', '..', '..', 'jmeter');
const load = (file: string): JmxElement => parseJmx(readFileSync(join(JMETER_DIR, file), 'utf8'))[0];
/** Enough threads for a sender and a plain member in two rooms; keeps each check short. */
const THREADS = 7;

/** A copy of the plan with `change` applied to the element named `testname`. */
function edit(plan: JmxElement, testname: string, change: (el: JmxElement) => void): JmxElement {
  const copy = structuredClone(plan);
  const hit = [...walk([copy])].find(({ el }) => el.testname === testname);
  if (!hit) throw new Error(`no element "${testname}"`);
  change(hit.el);
  return copy;
}

function setProp(el: JmxElement, name: string, value: string): void {
  const p = el.props.find((x) => x.name === name);
  if (p) p.value = value;
  else el.props.push({ kind: 'string', name, value, items: [] });
}

/** Replace text in every scalar value of an element (nested collections too). */
function rewrite(el: JmxElement, from: string, to: string): void {
  const visit = (props: JmxElement['props']) => {
    for (const p of props) {
      p.value = p.value.split(from).join(to);
      visit(p.items);
    }
  };
  visit(el.props);
}

const samplerNames = (plan: JmxElement) => [...walk(plan.children)].filter(({ el }) => PLUGIN_SAMPLERS.has(el.testclass)).map(({ el }) => el.testname);
const whileNames = (plan: JmxElement) => [...walk(plan.children)].filter(({ el }) => el.testclass === 'WhileController').map(({ el }) => el.testname);

/** Silent iterations of a While loop for thread 1, from the variables it enters with. */
function silentRun(plan: JmxElement, testname: string, props: Record<string, string> = {}): number | string {
  let out: number | string = 'not reached';
  walkThread(plan, 1, props, ({ el, ancestors, ctx }) => {
    if (el.testname === testname) out = silentIterations(el, ancestors, ctx).result;
  });
  return out;
}

describe('plan checker', () => {
  it('knows only functions of both JMeter 2.13 and 5.x, and no scripting ones', () => {
    for (const f of ['__jexl2', '__threadNum', '__P', '__property', '__counter', '__Random', '__time', '__V', '__intSum', '__UUID', '__char']) {
      expect(PORTABLE_FUNCTIONS, f).toContain(f);
    }
    for (const f of ['__jexl3', '__jexl', '__groovy', '__BeanShell', '__javaScript', '__threadGroupName', '__isVarDefined']) {
      expect(PORTABLE_FUNCTIONS, f).not.toContain(f);
    }
  });

  it('reads numbers as Java Integer.parseInt does', () => {
    expect(['20000', '+5', '-1', '0'].map(parseJavaInt)).toEqual([20000, 5, -1, 0]);
    expect(['', ' 1', '1.0', '1e3', '2147483648', '${x}'].map(parseJavaInt)).toEqual([null, null, null, null, null, null]);
  });

  for (const file of ['seed-003-rooms.jmx', 'soak.jmx']) {
    describe(file, () => {
      const plan = load(file);

      it('passes the shipped plan', () => {
        expect(checkPlan(plan, { threads: THREADS })).toEqual([]);
      });

      it('refuses an empty connectTimeout on any sampler: the plugin parses it on every one, and throws', () => {
        const names = samplerNames(plan);
        expect(names.length).toBeGreaterThanOrEqual(10);
        for (const name of names) {
          const broken = edit(plan, name, (el) => setProp(el, 'connectTimeout', ''));
          // The open sampler validates it first (a failed sample); the others just parse it.
          const expected = name.includes('open')
            ? `"${name}": Sampler error: connectTimeout '' is not a number; every sample fails`
            : `"${name}": java.lang.NumberFormatException: For input string: "" (connectTimeout); the sampler throws and JMeter records no sample`;
          expect(checkPlan(broken, { threads: THREADS }), name).toEqual([expected]);
        }
      });

      it('refuses an empty readTimeout, one that evaluates to no number, and numbers outside the plugin limits', () => {
        const read = samplerNames(plan).find((n) => n.includes('read CONNECTED'))!;
        expect(checkPlan(edit(plan, read, (el) => setProp(el, 'readTimeout', '')), { threads: THREADS }).join('\n')).toContain(`"${read}": Sampler error: readTimeout '' is not a number; every sample fails`);
        expect(checkPlan(plan, { threads: THREADS, props: { readTimeout: '20s' } }).join('\n')).toContain("readTimeout '20s' is not a number");
        expect(checkPlan(edit(plan, '01 open WebSocket', (el) => setProp(el, 'connectTimeout', '0')), { threads: THREADS }).join('\n')).toContain("connectTimeout '0' is not valid");
        expect(checkPlan(edit(plan, '01 open WebSocket', (el) => setProp(el, 'port', '${host}')), { threads: THREADS }).join('\n')).toContain("port '127.0.0.1' is not a number");
        // CloseWebSocketSampler does not trim its status code before parsing it.
        expect(checkPlan(edit(plan, '15 close WebSocket', (el) => setProp(el, 'statusCode', ' 1000')), { threads: THREADS }).join('\n')).toContain('For input string: " 1000" (statusCode)');
      });

      it('accepts an absent number (the plugin takes its default) but not an empty one', () => {
        const write = samplerNames(plan).find((n) => n.includes('CONNECT'))!;
        const absent = edit(plan, write, (el) => (el.props = el.props.filter((p) => p.name !== 'connectTimeout')));
        expect(checkPlan(absent, { threads: THREADS })).toEqual([]);
      });

      it('refuses __jexl3 and every function outside the allow-list (JMeter would send it as text)', () => {
        for (const f of ['__jexl3', '__groovy', '__jexl', '__javaScript', '__madeUp']) {
          const broken = edit(plan, 'Per-user values', (el) => rewrite(el, '__jexl2', f));
          expect(checkPlan(broken, { threads: THREADS }), f).toContain(`"Per-user values": function ${f} does not exist in both JMeter 2.13 and 5.x (JMeter would send "\${${f}(...)}" as literal text)`);
        }
        // On the list but not evaluated by the checker: reported, not waved through.
        const timed = edit(plan, 'Per-user values', (el) => rewrite(el, '${__threadNum}', '${__time()}'));
        expect(checkPlan(timed, { threads: THREADS }).join('\n')).toContain('__time exists in JMeter but this checker does not evaluate it');
      });

      it('refuses a read loop nothing bounds when its reads record no sample', () => {
        for (const loop of whileNames(plan)) {
          const noCounter = edit(plan, loop, (el) => (el.children = el.children.filter((c) => c.testclass !== 'CounterConfig')));
          expect(checkPlan(noCounter, { threads: THREADS }), loop).toEqual([
            `"${loop}": unbounded read loop: nothing its condition reads changes when no sample is recorded (a Counter inside the While controller, read by the condition, would)`,
          ]);
          // The condition as it was before the bound: "until done, while the last sample was ok".
          const unbounded = edit(plan, loop, (el) => {
            const cond = prop(el, 'WhileController.condition')!;
            setProp(el, 'WhileController.condition', cond.replace(/ && \$\{(messageReads|drainReads)\} < \$\{(messages|maxDrainReads)\}/, ''));
          });
          expect(prop([...walk([unbounded])].find(({ el }) => el.testname === loop)!.el, 'WhileController.condition')).not.toMatch(/Reads/);
          expect(checkPlan(unbounded, { threads: THREADS }).join('\n'), loop).toContain(`"${loop}": unbounded read loop: nothing its condition reads changes`);
        }
      });

      it('refuses counting the reads in a pre-processor: a throwing sampler leaves its values cached', () => {
        for (const loop of whileNames(plan)) {
          const viaPreProcessor = edit(plan, loop, (el) => {
            const counter = el.children.find((c) => c.testclass === 'CounterConfig')!;
            const name = prop(counter, 'CounterConfig.name')!;
            el.children = el.children.filter((c) => c !== counter);
            const read = el.children.find((c) => c.testclass === READ)!;
            read.children.push({
              tag: 'UserParameters', testclass: 'UserParameters', testname: `${name} + 1`, enabled: true, children: [],
              props: [
                { kind: 'collection', name: 'UserParameters.names', value: '', items: [{ kind: 'string', name: `name.${name}`, value: name, items: [] }] },
                { kind: 'collection', name: 'UserParameters.thread_values', value: '', items: [{ kind: 'collection', name: 'values', value: '', items: [{ kind: 'string', name: `value.${name}`, value: `\${__intSum(\${${name}},1)}`, items: [] }] }] },
                { kind: 'bool', name: 'UserParameters.per_iteration', value: 'false', items: [] },
              ],
            });
          });
          expect(checkPlan(viaPreProcessor, { threads: THREADS }).join('\n'), loop).toContain(`"${loop}": unbounded read loop: nothing its condition reads changes`);
        }
      });
    });
  }

  it('replays the shipped loops with reads that record nothing: they end after messages and maxDrainReads reads', () => {
    const seed = load('seed-003-rooms.jmx');
    expect(silentRun(seed, '09 read until every MESSAGE has arrived')).toBe(10);
    expect(silentRun(seed, '09 read until every MESSAGE has arrived', { messages: '3' })).toBe(3);
    expect(silentRun(seed, '13 read what is left, up to the DISCONNECT receipt')).toBe(1000);
    expect(silentRun(seed, '13 read what is left, up to the DISCONNECT receipt', { maxDrainReads: '7' })).toBe(7);
    expect(silentRun(load('soak.jmx'), '13 read what is left, up to the DISCONNECT receipt', { maxDrainReads: '5' })).toBe(5);
  });
});
