/**
 * The numbers the WebSocket Samplers plugin parses out of a sampler's string properties, with
 * what happens when one is not a number. Read from the plugin's source (WebsocketSampler and
 * its four samplers); JMeter 2.13 and 5.6.3 both keep an empty `<stringProp>` as "" (only an
 * absent property takes the getter's default), so `<stringProp name="connectTimeout"></stringProp>`
 * is parsed, and fails.
 *
 * - WebsocketSampler.sample() parses readTimeout and connectTimeout of EVERY sampler, outside
 *   its try: a bad value throws NumberFormatException out of the sampler. JMeter logs it and
 *   records no sample, and JMeterThread.last_sample_ok keeps its old value, so a read loop
 *   waiting for a failed sample never ends.
 * - validateArguments() checks some of them first (and the port) and records a failed sample.
 * - CloseWebSocketSampler parses statusCode inside the try (a failed sample), without trim.
 */
import { prop, type JmxElement } from './jmx-model';
import { CLOSE, OPEN, READ, WRITE } from './plan-frames';

export interface PluginNumber {
  name: string;
  /** The getter's default, used only when the property is absent. */
  fallback: number;
  /** The getter trims (the timeouts and the port); statusCode's does not. */
  trim: boolean;
  /** Range validateArguments() enforces on this sampler, when it checks this property. */
  validated?: readonly [number, number];
  /** Parsed in sample() before the try (throws: no sample) or inside it (a failed sample). */
  parsed: 'throws' | 'fails';
}

/** WebsocketSampler's MIN/MAX constants, and WebSocketClient's default timeouts. */
const READ_TIMEOUT = [0, 999_999] as const;
const CONNECT_TIMEOUT = [1, 999_999] as const;
const PORT = [1, 65_535] as const;

/** The numbers one of the plugin's samplers parses, in the order it parses them. */
export function pluginNumbers(el: JmxElement): PluginNumber[] {
  const opens = el.testclass === OPEN || ((el.testclass === READ || el.testclass === WRITE) && prop(el, 'createNewConnection') === 'true');
  const readValidated = el.testclass === OPEN || el.testclass === READ || el.testclass === CLOSE;
  const out: PluginNumber[] = [];
  if (opens) out.push({ name: 'port', fallback: 80, trim: true, validated: PORT, parsed: 'throws' });
  out.push({ name: 'readTimeout', fallback: 6000, trim: true, validated: readValidated ? READ_TIMEOUT : undefined, parsed: 'throws' });
  out.push({ name: 'connectTimeout', fallback: 20_000, trim: true, validated: opens ? CONNECT_TIMEOUT : undefined, parsed: 'throws' });
  if (el.testclass === CLOSE) out.push({ name: 'statusCode', fallback: 1000, trim: false, parsed: 'fails' });
  return out;
}

/** Java's Integer.parseInt: optional sign, ASCII digits, 32-bit; anything else is null. */
export function parseJavaInt(s: string): number | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const n = Number(s);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : null;
}

export type SamplerNumbers =
  | { kind: 'ok'; values: Record<string, number> }
  /** validateArguments() or the parse inside the try: JMeter records a failed sample. */
  | { kind: 'fails'; message: string }
  /** NumberFormatException out of sample(): JMeter records no sample. */
  | { kind: 'throws'; message: string };

/** What the plugin makes of a sampler's numbers; `ev` evaluates a raw property value. */
export function samplerNumbers(el: JmxElement, ev: (raw: string) => string): SamplerNumbers {
  const rules = pluginNumbers(el);
  const values: Record<string, number> = {};
  const text: Record<string, string> = {};
  for (const r of rules) {
    const raw = prop(el, r.name);
    text[r.name] = raw === undefined ? String(r.fallback) : r.trim ? ev(raw).trim() : ev(raw);
  }
  for (const r of rules.filter((x) => x.validated)) {
    const n = parseJavaInt(text[r.name]);
    const [min, max] = r.validated!;
    if (n === null) return { kind: 'fails', message: `Sampler error: ${r.name} '${text[r.name]}' is not a number` };
    if (n < min || n > max) return { kind: 'fails', message: `Sampler error: ${r.name} '${n}' is not valid; should be between ${min} and ${max}` };
  }
  for (const parsed of ['throws', 'fails'] as const) {
    for (const r of rules.filter((x) => x.parsed === parsed)) {
      const n = parseJavaInt(text[r.name]);
      if (n === null) return { kind: parsed, message: `java.lang.NumberFormatException: For input string: "${text[r.name]}" (${r.name})` };
      values[r.name] = n;
    }
  }
  return { kind: 'ok', values };
}

/** Problems the checker reports for one sampler: every parsed number must be valid. */
export function samplerNumberProblems(el: JmxElement, ev: (raw: string) => string): string[] {
  const r = samplerNumbers(el, ev);
  if (r.kind === 'ok') return [];
  const effect = r.kind === 'throws' ? 'the sampler throws and JMeter records no sample' : 'every sample fails';
  return [`"${el.testname}": ${r.message}; ${effect}`];
}
