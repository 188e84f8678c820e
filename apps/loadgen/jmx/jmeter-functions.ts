/**
 * Which JMeter functions a plan may call. A function JMeter does not know is not an error to
 * JMeter: the text `${__name(...)}` is sent as it is (JMeter 2.13 sent `login:${__jexl3(...)}`
 * in a CONNECT). So the plans may call only functions that exist in every JMeter they run on:
 * Debian's 2.13 and 5.x.
 */

/**
 * Reference keys found both in JMeter 2.13 (the Function classes of Debian's
 * ApacheJMeter_functions.jar, and its functions.html) and in JMeter 5.0 and 5.6.3
 * (org.apache.jmeter.functions in the sources). Left out on purpose: __BeanShell and
 * __javaScript (scripts; the plans have none), __jexl (2.13 only), and __jexl3, __groovy and
 * every other function added after 2.13.
 */
export const PORTABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  '__CSVRead', '__FileToString', '__P', '__Random', '__RandomString', '__StringFromFile',
  '__TestPlanName', '__UUID', '__V', '__XPath', '__char', '__counter', '__escapeHtml',
  '__escapeOroRegexpChars', '__eval', '__evalVar', '__intSum', '__jexl2', '__log', '__logn',
  '__longSum', '__machineIP', '__machineName', '__property', '__regexFunction', '__samplerName',
  '__setProperty', '__split', '__threadNum', '__time', '__unescape', '__unescapeHtml',
  '__urldecode', '__urlencode',
]);

/** Names of the functions a raw property value calls (`${__name(` or `${__name}`), in order. */
export function calledFunctions(raw: string): string[] {
  const out: string[] = [];
  const re = /\$\{(__[A-Za-z0-9_]+)[(}]/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) out.push(m[1]);
  return out;
}

/** Why a function may not be used, or null when it may. */
export function functionProblem(name: string): string | null {
  if (PORTABLE_FUNCTIONS.has(name)) return null;
  return `function ${name} does not exist in both JMeter 2.13 and 5.x (JMeter would send "\${${name}(...)}" as literal text)`;
}
