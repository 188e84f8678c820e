/**
 * The JMeter plans in jmeter/. JMeter cannot run here, so this reads every .jmx as JMeter
 * would: it must be XML 1.0 (no NUL even as &#0;), use only core elements and
 * the WebSocket Samplers plugin, and every STOMP frame it would send (functions and -J
 * properties evaluated) must parse with our codec as exactly one NUL-terminated frame.
 * It also checks the parameters are wired, the barrier exists where it must, that the
 * read loops end where they should (so the close cannot meet an unread frame), and that the
 * plan checker (plan-check.ts: functions of JMeter 2.13 and 5.x only, numbers the plugin can
 * parse, bounded read loops) passes each plan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StompParser } from '../../shared/stomp/parser';
import type { Frame } from '../../shared/stomp/frame';
import { evaluate } from './jmeter-eval';
import { allScalarValues, parseJmx, prop, propItems, userDefinedVariables, walk, type JmxElement, JmxFormatError } from './jmx-model';
import { CLOSE, framesForThread, OPEN, planVariables, READ, WRITE } from './plan-frames';
import { checkPlan } from './plan-check';

const JMETER_DIR = join(import.meta.dirname, '..', '..', '..', 'jmeter');
const planFiles = readdirSync(JMETER_DIR).filter((f) => f.endsWith('.jmx')).sort();

/** Core JMeter elements (present in JMeter 3.1+) and the plugin's samplers: nothing scripted. */
const ALLOWED = new Set([
  'TestPlan', 'Arguments', 'ThreadGroup', 'LoopController', 'WhileController', 'IfController',
  'GenericController', 'HeaderManager', 'UserParameters', 'CounterConfig', 'SyncTimer',
  'ConstantTimer', 'TestAction', 'RegexExtractor', 'ResponseAssertion',
  OPEN, WRITE, READ, CLOSE,
]);

function load(file: string): JmxElement {
  const top = parseJmx(readFileSync(join(JMETER_DIR, file), 'utf8'));
  expect(top.map((e) => e.testclass)).toEqual(['TestPlan']);
  return top[0];
}

function parseFrame(text: string): Frame {
  const frames: Frame[] = [];
  const parser = new StompParser({ onFrame: (f) => frames.push(f) });
  parser.push(Buffer.from(text, 'utf8'));
  expect(frames, `exactly one frame in ${JSON.stringify(text)}`).toHaveLength(1);
  expect(parser.idle, `nothing after the NUL in ${JSON.stringify(text)}`).toBe(true);
  return frames[0];
}

/** Frames a thread sends, each checked to end with its single NUL and parsed by our codec. */
function sentFrames(plan: JmxElement, threadNum: number, props: Record<string, string> = {}) {
  return framesForThread(plan, threadNum, props).map((w) => {
    expect(w.text.endsWith('\0'), `${w.sampler.testname} ends with NUL`).toBe(true);
    expect(w.text.indexOf('\0'), `${w.sampler.testname} has one NUL`).toBe(w.text.length - 1);
    return { ...w, frame: parseFrame(w.text) };
  });
}

function threadGroup(plan: JmxElement): JmxElement {
  const groups = plan.children.filter((e) => e.testclass === 'ThreadGroup' && e.enabled);
  expect(groups).toHaveLength(1);
  return groups[0];
}

/** Evaluated setting of an element, for thread 1 with the given -J properties. */
function setting(plan: JmxElement, el: JmxElement, name: string, props: Record<string, string> = {}): string {
  const vars = planVariables(plan, props);
  return evaluate(prop(el, name) ?? '', { vars, props, threadNum: 1 });
}

function ordered(plan: JmxElement) {
  return [...walk(threadGroup(plan).children)];
}

/** Unusual values for every parameter, to see each one arrive where it belongs. */
const OVERRIDES = {
  host: 'broker.example', port: '15674', path: '/stomp', users: '30', roomSize: '5', messages: '3',
  token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig', roomPrefix: '/topic/chat/room/', rampUp: '7',
  connectTimeout: '1234', readTimeout: '4321', rounds: '4', interval: '250', maxDrainReads: '7',
};

describe('JMeter plans: every .jmx', () => {
  it('the seed-003 plan and the soak plan exist', () => {
    expect(planFiles).toEqual(expect.arrayContaining(['seed-003-rooms.jmx', 'soak.jmx']));
  });

  it('the XML check rejects a NUL character reference (why frames use __char(0))', () => {
    expect(() => parseJmx('<jmeterTestPlan><hashTree><TestPlan><stringProp name="x">a&#0;</stringProp></TestPlan><hashTree/></hashTree></jmeterTestPlan>'))
      .toThrow(JmxFormatError);
  });

  for (const file of planFiles) {
    describe(file, () => {
      const plan = load(file);

      it('passes the plan checker: JMeter 2.13 and 5.x functions only, numbers the plugin parses, bounded read loops', () => {
        expect(checkPlan(plan)).toEqual([]);
        expect(checkPlan(plan, { props: OVERRIDES })).toEqual([]);
      });

      it('uses only core JMeter elements and the WebSocket Samplers plugin (no scripts)', () => {
        for (const { el } of walk([plan])) expect(ALLOWED, `${el.testclass} (${el.testname})`).toContain(el.testclass);
        const raw = readFileSync(join(JMETER_DIR, file), 'utf8');
        expect(raw).not.toMatch(/JSR223|BeanShell|groovy|__javaScript|__BeanShell|__groovy/i);
      });

      it('declares every parameter once as a JMeter property with a default, and uses each one', () => {
        const udvs = userDefinedVariables(plan);
        for (const u of udvs) expect(u.value, u.name).toMatch(new RegExp(`^\\$\\{__P\\(${u.name},[^)]*\\)\\}$`));
        expect(new Set(udvs.map((u) => u.name)).size).toBe(udvs.length);
        // __P only in the declarations, so -Jname=value has one place to act.
        const elsewhere = [...walk(plan.children)].flatMap(({ el }) => allScalarValues(el.props));
        expect(elsewhere.filter((v) => v.includes('__P('))).toEqual([]);
        // Every declared variable is read while evaluating what the threads send and configure.
        const used = new Set<string>();
        framesForThread(plan, 1, {}, (kind, name) => kind === 'var' && used.add(name));
        for (const { el } of walk([threadGroup(plan)])) {
          const vars = planVariables(plan, {});
          for (const v of allScalarValues(el.props)) {
            try {
              evaluate(v, { vars, props: {}, threadNum: 1, onUse: (k, n) => k === 'var' && used.add(n) });
            } catch {
              // Values that need per-thread variables were evaluated by framesForThread.
            }
          }
        }
        for (const u of udvs) expect(used, `parameter ${u.name} is used`).toContain(u.name);
      });

      it('every frame it sends is one NUL-terminated STOMP frame our codec parses', () => {
        for (const props of [{}, OVERRIDES]) {
          for (const t of [1, 2, 7]) {
            const frames = sentFrames(plan, t, props);
            expect(frames.length).toBeGreaterThanOrEqual(4);
            for (const f of frames) expect(['CONNECT', 'SUBSCRIBE', 'SEND', 'UNSUBSCRIBE', 'DISCONNECT']).toContain(f.frame.command);
          }
        }
      });

      it('opens the WebSocket with subprotocol v12.stomp at host, port and path', () => {
        const tg = threadGroup(plan);
        const hm = tg.children.find((e) => e.testclass === 'HeaderManager')!;
        const headers = propItems(hm, 'HeaderManager.headers').map((h) => [prop(h, 'Header.name'), prop(h, 'Header.value')]);
        expect(headers).toContainEqual(['Sec-WebSocket-Protocol', 'v12.stomp']);
        const open = ordered(plan).filter(({ el }) => el.testclass === OPEN);
        expect(open).toHaveLength(1);
        expect(ordered(plan).findIndex(({ el }) => el.testclass === OPEN)).toBeLessThan(ordered(plan).findIndex(({ el }) => el.testclass === WRITE));
        const o = open[0].el;
        expect([setting(plan, o, 'server'), setting(plan, o, 'port'), setting(plan, o, 'path')]).toEqual(['127.0.0.1', '8080', '/ws']);
        expect([setting(plan, o, 'server', OVERRIDES), setting(plan, o, 'port', OVERRIDES), setting(plan, o, 'path', OVERRIDES)])
          .toEqual(['broker.example', '15674', '/stomp']);
        expect(setting(plan, tg, 'ThreadGroup.num_threads', OVERRIDES)).toBe('30');
        expect(setting(plan, tg, 'ThreadGroup.ramp_time', OVERRIDES)).toBe('7');
        // The plugin parses both timeouts on every sampler, not only where it uses them.
        for (const { el } of ordered(plan).filter(({ el }) => [OPEN, WRITE, READ].includes(el.testclass))) {
          expect(setting(plan, el, 'connectTimeout', OVERRIDES), el.testname).toBe('1234');
        }
        for (const { el } of ordered(plan).filter(({ el }) => [OPEN, READ, CLOSE].includes(el.testclass))) {
          expect(setting(plan, el, 'readTimeout', OVERRIDES), el.testname).toBe('4321');
        }
        expect(tg.props.find((p) => p.name === 'ThreadGroup.on_sample_error')?.value).toBe('continue');
      });

      it('CONNECTs with login and token, SUBSCRIBEs to its room with a receipt, and leaves with UNSUBSCRIBE and DISCONNECT with receipt', () => {
        const rabbit = { login: 'guest', token: 'guest', stompHost: '/', port: '15674', roomPrefix: '/topic/room.' };
        for (const [props, threadNum, room] of [[{}, 1, 0], [{}, 7, 1], [OVERRIDES, 11, 2], [rabbit, 3, 0]] as [Record<string, string>, number, number][]) {
          const frames = sentFrames(plan, threadNum, props);
          const cmds = frames.map((f) => f.frame.command);
          expect(cmds.slice(0, 2)).toEqual(['CONNECT', 'SUBSCRIBE']);
          expect(cmds.slice(-2)).toEqual(['UNSUBSCRIBE', 'DISCONNECT']);
          const [connect, subscribe] = frames.map((f) => f.frame);
          const host = props.stompHost ?? props.host ?? '127.0.0.1';
          expect(connect.headers['accept-version']).toContain('1.2');
          expect(connect.headers.host).toBe(host);
          expect(connect.headers.login).toBe(props.login ?? `jmeter-${threadNum}`);
          expect(connect.headers.passcode).toBe(props.token ?? '');
          expect(connect.headers['heart-beat']).toBe('0,0');
          const prefix = props.roomPrefix ?? (file.startsWith('soak') ? '/topic/room.soak-' : '/topic/room.jmeter-');
          expect(subscribe.headers.destination).toBe(`${prefix}${room}`);
          expect(subscribe.headers.receipt).toBeTruthy();
          const unsubscribe = frames[frames.length - 2].frame;
          expect(unsubscribe.headers.id).toBe(subscribe.headers.id);
          expect(frames[frames.length - 1].frame.headers.receipt).toBeTruthy();
          for (const send of frames.filter((f) => f.frame.command === 'SEND')) {
            expect(send.frame.headers.destination).toBe(subscribe.headers.destination);
            expect(() => JSON.parse(send.frame.body.toString('utf8'))).not.toThrow();
          }
        }
      });

      it('has a barrier every thread passes after its SUBSCRIBE receipt and before any SEND', () => {
        const seq = ordered(plan);
        const timers = seq.filter(({ el }) => el.testclass === 'SyncTimer');
        expect(timers).toHaveLength(1);
        const timer = timers[0];
        expect(['0', '${users}']).toContain(prop(timer.el, 'groupSize'));
        // Reached by every thread exactly once: no If/While/Loop controller above it.
        expect(timer.ancestors.map((a) => a.testclass).filter((c) => /Controller$/.test(c))).toEqual([]);
        const idx = (pred: (el: JmxElement) => boolean) => seq.findIndex(({ el }) => pred(el));
        const subscribe = idx((el) => el.testclass === WRITE && (prop(el, 'requestData') ?? '').startsWith('SUBSCRIBE\n'));
        const receiptRead = seq.findIndex(({ el }, i) => i > subscribe && el.testclass === READ);
        const barrier = seq.indexOf(timer);
        const firstSend = idx((el) => el.testclass === WRITE && (prop(el, 'requestData') ?? '').startsWith('SEND\n'));
        expect(subscribe).toBeGreaterThan(-1);
        expect(receiptRead).toBeGreaterThan(subscribe);
        expect(barrier).toBeGreaterThan(receiptRead);
        expect(firstSend).toBeGreaterThan(barrier);
      });

      it('reads up to the DISCONNECT receipt before the close, and closes last', () => {
        const seq = ordered(plan);
        const samplers = seq.filter(({ el }) => [OPEN, WRITE, READ, CLOSE].includes(el.testclass));
        expect(samplers[samplers.length - 1].el.testclass).toBe(CLOSE);
        const disconnect = samplers.findIndex(({ el }) => el.testclass === WRITE && (prop(el, 'requestData') ?? '').startsWith('DISCONNECT\n'));
        const drain = samplers[disconnect + 1];
        expect(drain.el.testclass).toBe(READ);
        const loop = drain.ancestors[drain.ancestors.length - 1];
        expect(loop.testclass).toBe('WhileController');
        const cond = prop(loop, 'WhileController.condition') ?? '';
        const vars = planVariables(plan, {});
        const run = (lastCommand: string, ok: string, drainReads = '0') =>
          evaluate(cond, { vars: new Map([...vars, ['lastCommand', lastCommand], ['JMeterThread.last_sample_ok', ok], ['drainReads', drainReads]]), props: {}, threadNum: 1 });
        expect(run('NONE', 'true')).toBe('true');
        expect(run('MESSAGE', 'true', '999')).toBe('true');
        expect(run('RECEIPT', 'true')).toBe('false');
        expect(run('MESSAGE', 'false')).toBe('false'); // a failed read (timeout) ends the loop
        expect(run('MESSAGE', 'true', '1000')).toBe('false'); // maxDrainReads (default 1000) ends it too
        // Counted by a Counter inside the loop, which steps whether or not the read records a sample.
        const counter = loop.children.find((c) => c.testclass === 'CounterConfig')!;
        expect([prop(counter, 'CounterConfig.name'), prop(counter, 'CounterConfig.start'), prop(counter, 'CounterConfig.end')]).toEqual(['drainReads', '1', '']);
        const extractor = drain.el.children.find((c) => c.testclass === 'RegexExtractor')!;
        expect(prop(extractor, 'RegexExtractor.refname')).toBe('lastCommand');
        const re = new RegExp(prop(extractor, 'RegexExtractor.regex')!);
        expect(re.exec('RECEIPT\nreceipt-id:disconnect-1\n\n\0')?.[1]).toBe('RECEIPT');
        expect(re.exec('MESSAGE\ndestination:/topic/x\n\n{}\0')?.[1]).toBe('MESSAGE');
      });
    });
  }
});

describe('seed-003-rooms.jmx', () => {
  const plan = load('seed-003-rooms.jmx');

  it('puts users in rooms of roomSize with exactly one sender each, who sends `messages` SENDs numbered 1..messages', () => {
    for (const props of [{}, OVERRIDES]) {
      const vars = planVariables(plan, props);
      const users = Number(vars.get('users'));
      const roomSize = Number(vars.get('roomSize'));
      const senders = new Map<string, number>();
      for (let t = 1; t <= users; t++) {
        const frames = sentFrames(plan, t, props);
        const dest = frames[1].frame.headers.destination;
        const sends = frames.filter((f) => f.frame.command === 'SEND');
        if (sends.length) senders.set(dest, (senders.get(dest) ?? 0) + 1);
        // Static reading shows the loop body once; the loop count is `messages`.
        if (sends.length) expect(JSON.parse(sends[0].frame.body.toString()).seq).toBe(1);
      }
      expect(senders.size).toBe(Math.ceil(users / roomSize));
      for (const n of senders.values()) expect(n).toBe(1);
      const loop = [...walk(plan.children)].find(({ el }) => el.testclass === 'LoopController' && el.children.some((c) => c.testclass === WRITE))!;
      expect(setting(plan, loop.el, 'LoopController.loops', props)).toBe(vars.get('messages'));
    }
  });

  it('reads until seq = messages, in order, and stops at the first failed read', () => {
    const seq = [...walk(plan.children)];
    const loop = seq.find(({ el }) => el.testclass === 'WhileController' && el.testname.includes('every MESSAGE'))!.el;
    const vars = planVariables(plan, {});
    const cond = (lastSeq: string, ok: string, messageReads = lastSeq) =>
      evaluate(prop(loop, 'WhileController.condition')!, {
        vars: new Map([...vars, ['lastSeq', lastSeq], ['JMeterThread.last_sample_ok', ok], ['messageReads', messageReads]]),
        props: {},
        threadNum: 1,
      });
    expect(cond('0', 'true')).toBe('true');
    expect(cond('9', 'true')).toBe('true');
    expect(cond('10', 'true')).toBe('false');
    expect(cond('3', 'false')).toBe('false');
    // Reads that recorded nothing (the sampler threw) still count: after `messages` of them it ends.
    expect(cond('3', 'true', '10')).toBe('false');
    const read = loop.children.find((c) => c.testclass === READ)!;
    const assertion = read.children.find((c) => c.testclass === 'ResponseAssertion')!;
    const tests = propItems(assertion, 'Asserion.test_strings').map((p) => p.value);
    expect(tests).toContain('"seq":${expectSeq},');
    const counter = loop.children.find((c) => c.testclass === 'CounterConfig')!;
    expect([prop(counter, 'CounterConfig.name'), prop(counter, 'CounterConfig.start'), prop(counter, 'CounterConfig.end')]).toEqual(['messageReads', '1', '']);
  });
});

describe('soak.jmx', () => {
  const plan = load('soak.jmx');

  it('every user sends one message per round and reads one per member of its room; rooms add up to users', () => {
    for (const props of [{}, OVERRIDES, { users: '10', roomSize: '6' }] as Record<string, string>[]) {
      const vars = planVariables(plan, props);
      const users = Number(vars.get('users'));
      const perRoom = new Map<string, number>();
      const destOf = new Map<number, string>();
      for (let t = 1; t <= users; t++) {
        const frames = sentFrames(plan, t, props);
        const dest = frames[1].frame.headers.destination;
        destOf.set(t, dest);
        perRoom.set(dest, (perRoom.get(dest) ?? 0) + 1);
        expect(frames.filter((f) => f.frame.command === 'SEND')).toHaveLength(1);
      }
      // members (what each user reads per round) equals the real size of its room.
      for (let t = 1; t <= users; t++) expect(membersOf(plan, t, props), `thread ${t}`).toBe(perRoom.get(destOf.get(t)!));
      expect([...perRoom.values()].reduce((a, b) => a + b, 0)).toBe(users);
    }
  });
});

/** The soak plan's per-user `members` value for one thread. */
function membersOf(plan: JmxElement, threadNum: number, props: Record<string, string>): number {
  const vars = planVariables(plan, props);
  const up = threadGroup(plan).children.find((e) => e.testclass === 'UserParameters')!;
  const names = propItems(up, 'UserParameters.names').map((p) => p.value);
  const values = propItems(up, 'UserParameters.thread_values')[0].items.map((p) => p.value);
  return Number(evaluate(values[names.indexOf('members')], { vars, props, threadNum }));
}
