/**
 * The subset of JEXL that our JMeter plans use inside `${__jexl2(...)}`: numbers, strings,
 * true/false, arithmetic (+ - * / %), comparisons, && || !, and ?: . Integer operands divide
 * as integers, as in JEXL 2 (and 3). Anything else is an error, so a plan cannot silently rely
 * on a feature this checker does not understand.
 */
export type JexlValue = number | string | boolean;

export class JexlError extends Error {}

type Tok = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '(', ')'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new JexlError(`unterminated string in ${JSON.stringify(src)}`);
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new JexlError(`unsupported character ${JSON.stringify(c)} in ${JSON.stringify(src)}`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return out;
}

/** Evaluate one expression. */
export function evalJexl(src: string): JexlValue {
  const toks = tokenize(src);
  let pos = 0;
  const peek = (v: string) => toks[pos]?.t === 'op' && toks[pos].v === v;
  const expect = (v: string) => {
    if (!peek(v)) throw new JexlError(`expected "${v}" in ${JSON.stringify(src)}`);
    pos++;
  };
  const num = (x: JexlValue): number => {
    if (typeof x === 'number') return x;
    if (typeof x === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(x.trim())) return Number(x);
    throw new JexlError(`not a number: ${JSON.stringify(x)} in ${JSON.stringify(src)}`);
  };
  const bool = (x: JexlValue): boolean => {
    if (typeof x === 'boolean') return x;
    throw new JexlError(`not a boolean: ${JSON.stringify(x)} in ${JSON.stringify(src)}`);
  };

  function ternary(): JexlValue {
    const c = or();
    if (!peek('?')) return c;
    pos++;
    const a = ternary();
    expect(':');
    const b = ternary();
    return bool(c) ? a : b;
  }
  function or(): JexlValue {
    let l = and();
    while (peek('||')) {
      pos++;
      const r = and();
      l = bool(l) || bool(r);
    }
    return l;
  }
  function and(): JexlValue {
    let l = equality();
    while (peek('&&')) {
      pos++;
      const r = equality();
      l = bool(l) && bool(r);
    }
    return l;
  }
  function equality(): JexlValue {
    let l = relational();
    while (peek('==') || peek('!=')) {
      const op = toks[pos++].v;
      const r = relational();
      const same = typeof l === typeof r ? l === r : String(l) === String(r);
      l = op === '==' ? same : !same;
    }
    return l;
  }
  function relational(): JexlValue {
    let l = additive();
    while (peek('<') || peek('<=') || peek('>') || peek('>=')) {
      const op = toks[pos++].v;
      const a = num(l);
      const b = num(additive());
      l = op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    return l;
  }
  function additive(): JexlValue {
    let l = multiplicative();
    while (peek('+') || peek('-')) {
      const op = toks[pos++].v;
      const r = multiplicative();
      if (op === '+' && (typeof l === 'string' || typeof r === 'string')) l = String(l) + String(r);
      else l = op === '+' ? num(l) + num(r) : num(l) - num(r);
    }
    return l;
  }
  function multiplicative(): JexlValue {
    let l = unary();
    while (peek('*') || peek('/') || peek('%')) {
      const op = toks[pos++].v;
      const a = num(l);
      const b = num(unary());
      if ((op === '/' || op === '%') && b === 0) throw new JexlError(`division by zero in ${JSON.stringify(src)}`);
      const ints = Number.isInteger(a) && Number.isInteger(b);
      l = op === '*' ? a * b : op === '%' ? a % b : ints ? Math.trunc(a / b) : a / b;
    }
    return l;
  }
  function unary(): JexlValue {
    if (peek('!')) {
      pos++;
      return !bool(unary());
    }
    if (peek('-')) {
      pos++;
      return -num(unary());
    }
    return primary();
  }
  function primary(): JexlValue {
    const tok = toks[pos++];
    if (!tok) throw new JexlError(`unexpected end of ${JSON.stringify(src)}`);
    if (tok.t === 'num' || tok.t === 'str') return tok.v;
    if (tok.t === 'id') {
      if (tok.v === 'true') return true;
      if (tok.v === 'false') return false;
      throw new JexlError(`unsupported identifier ${tok.v} in ${JSON.stringify(src)} (plans must not use JEXL scripting)`);
    }
    if (tok.v === '(') {
      const v = ternary();
      expect(')');
      return v;
    }
    throw new JexlError(`unexpected "${tok.v}" in ${JSON.stringify(src)}`);
  }

  const v = ternary();
  if (pos !== toks.length) throw new JexlError(`trailing input in ${JSON.stringify(src)}`);
  return v;
}
