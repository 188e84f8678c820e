/**
 * Evaluates JMeter's `${...}` syntax the way JMeter does for the functions our plans use:
 * variables `${name}` and the core functions __P, __threadNum, __char, __intSum and __jexl2.
 * An unknown function or an undefined variable is an error (JMeter would silently leave the
 * text as is and send it), which is how the plan test finds unwired parameters; so is a
 * function missing from JMeter 2.13 or 5.x (jmeter-functions.ts).
 */
import { functionProblem } from './jmeter-functions';
import { evalJexl } from './jexl-lite';

export interface EvalContext {
  /** JMeter variables of the current thread. */
  vars: Map<string, string>;
  /** JMeter properties (-Jname=value); missing ones take the __P default. */
  props: Record<string, string>;
  /** 1-based JMeter thread number (__threadNum). */
  threadNum: number;
  /** Called for every variable read and every __P name, to check wiring. */
  onUse?(kind: 'var' | 'prop' | 'function', name: string): void;
}

export class JMeterEvalError extends Error {}

const FUNCTIONS: Record<string, (args: string[], ctx: EvalContext) => string> = {
  // __P(name, default): a JMeter property; default "1" when omitted, as in JMeter.
  __P(args, ctx) {
    const name = args[0]?.trim() ?? '';
    ctx.onUse?.('prop', name);
    return Object.prototype.hasOwnProperty.call(ctx.props, name) ? ctx.props[name] : args.length > 1 ? args[1] : '1';
  },
  __threadNum(_args, ctx) {
    return String(ctx.threadNum);
  },
  // __char(n, ...): characters from decimal or 0x-hex codes; __char(0) is STOMP's NUL.
  __char(args) {
    return args
      .map((a) => {
        const n = Number(a.trim());
        if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new JMeterEvalError(`__char: bad code ${JSON.stringify(a)}`);
        return String.fromCharCode(n);
      })
      .join('');
  },
  // __intSum(a, b, ..., [variable]): integer sum, optionally stored in a variable.
  __intSum(args, ctx) {
    let store: string | undefined;
    const nums = [...args];
    if (nums.length > 2 && !/^\s*-?\d+\s*$/.test(nums[nums.length - 1])) store = nums.pop()!.trim();
    const sum = nums.reduce((s, a) => {
      if (!/^\s*-?\d+\s*$/.test(a)) throw new JMeterEvalError(`__intSum: not an integer ${JSON.stringify(a)}`);
      return s + Number(a);
    }, 0);
    if (store) ctx.vars.set(store, String(sum));
    return String(sum);
  },
  // __jexl2(expression): JEXL 2, in JMeter 2.13 and 5.x alike (__jexl3 is 3.0+ only).
  __jexl2(args) {
    if (args.length !== 1) throw new JMeterEvalError(`__jexl2 takes one expression here (a comma splits arguments): ${JSON.stringify(args)}`);
    return String(evalJexl(args[0]));
  },
};

/** Split a function's raw argument text at top-level commas (`\,` is a literal comma). */
function splitArgs(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && raw[i + 1] === ',') {
      cur += ',';
      i++;
      continue;
    }
    if (c === '$' && raw[i + 1] === '{') {
      depth++;
      cur += '${';
      i++;
      continue;
    }
    if (c === '}' && depth > 0) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** Index just after the `)}` that closes a function call whose `(` is at `open`. */
function findCallEnd(s: string, open: string | number): number {
  let i = Number(open) + 1;
  let parens = 0;
  let refs = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      refs++;
      i++;
    } else if (c === '}' && refs > 0) refs--;
    else if (c === '(' && refs === 0) parens++;
    else if (c === ')' && refs === 0) {
      if (parens === 0) {
        if (s[i + 1] !== '}') throw new JMeterEvalError(`expected "}" after function call in ${JSON.stringify(s)}`);
        return i + 2;
      }
      parens--;
    }
  }
  throw new JMeterEvalError(`unterminated function call in ${JSON.stringify(s)}`);
}

/** Evaluate a property value as JMeter would when the element runs. */
export function evaluate(s: string, ctx: EvalContext): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const at = s.indexOf('${', i);
    if (at < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, at);
    const fn = /^\$\{(__[A-Za-z0-9_]+)(\(|\})/.exec(s.slice(at));
    if (fn) {
      const name = fn[1];
      const problem = functionProblem(name);
      if (problem) throw new JMeterEvalError(problem);
      const impl = FUNCTIONS[name];
      if (!impl) throw new JMeterEvalError(`function ${name} exists in JMeter but this checker does not evaluate it (${Object.keys(FUNCTIONS).join(', ')})`);
      ctx.onUse?.('function', name);
      if (fn[2] === '}') {
        out += impl([], ctx);
        i = at + fn[0].length;
      } else {
        const open = at + fn[0].length - 1;
        const end = findCallEnd(s, open);
        const raw = s.slice(open + 1, end - 2);
        const args = splitArgs(raw).map((a) => evaluate(a, ctx));
        out += impl(args, ctx);
        i = end;
      }
      continue;
    }
    const close = s.indexOf('}', at);
    if (close < 0) throw new JMeterEvalError(`unterminated \${ in ${JSON.stringify(s)}`);
    const name = s.slice(at + 2, close);
    ctx.onUse?.('var', name);
    const v = ctx.vars.get(name);
    if (v === undefined) throw new JMeterEvalError(`variable \${${name}} is not defined at this point`);
    out += v;
    i = close + 1;
  }
  return out;
}

/** Variable names referenced as `${name}` (not functions) anywhere in a raw value. */
export function referencedVariables(s: string): string[] {
  const out: string[] = [];
  const re = /\$\{([A-Za-z][A-Za-z0-9_.]*)\}/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1]);
  return out;
}

/** Property names read with __P anywhere in a raw value. */
export function referencedProperties(s: string): string[] {
  const out: string[] = [];
  const re = /\$\{__P\(([^,)]*)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1].trim());
  return out;
}
