/**
 * Reads a JMeter .jmx file into a small tree, for the plan checks and the plan runner
 * (JMeter itself cannot run here).
 *
 * A .jmx is XStream XML: every test element is followed by a sibling `<hashTree>` holding
 * its children, and an element's settings are `stringProp` / `boolProp` / `intProp` /
 * `longProp` / `collectionProp` / `elementProp` children.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One property of a test element. Scalars keep their raw text (JMeter functions unevaluated). */
export interface JmxProp {
  kind: 'string' | 'bool' | 'int' | 'long' | 'collection' | 'element';
  name: string;
  /** Text of scalar properties. */
  value: string;
  /** Items of a collectionProp, or the properties of an elementProp. */
  items: JmxProp[];
}

export interface JmxElement {
  /** XML tag, e.g. "ThreadGroup" or "eu.luminis.jmeter.wssampler.SingleReadWebSocketSampler". */
  tag: string;
  testclass: string;
  testname: string;
  enabled: boolean;
  props: JmxProp[];
  children: JmxElement[];
}

type XmlNode = Record<string, unknown>;

const PROP_KINDS: Record<string, JmxProp['kind']> = {
  stringProp: 'string',
  boolProp: 'bool',
  intProp: 'int',
  longProp: 'long',
  collectionProp: 'collection',
  elementProp: 'element',
};

export class JmxFormatError extends Error {}

/** Characters XML 1.0 forbids, as raw bytes or as character references (a NUL above all). */
function checkXmlChars(xml: string): void {
  // eslint-disable-next-line no-control-regex
  const raw = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(xml);
  if (raw) throw new JmxFormatError(`control character U+${raw[0].charCodeAt(0).toString(16).padStart(4, '0')} is not allowed in XML 1.0`);
  const ref = /&#(x[0-9a-fA-F]+|[0-9]+);/g;
  for (let m = ref.exec(xml); m; m = ref.exec(xml)) {
    const code = m[1].startsWith('x') ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
    const ok = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;
    if (!ok) throw new JmxFormatError(`character reference ${m[0]} is not allowed in XML 1.0 (JMeter cannot load it)`);
  }
}

function tagOf(node: XmlNode): string | null {
  for (const k of Object.keys(node)) if (k !== ':@' && k !== '#text') return k;
  return null;
}

function attrs(node: XmlNode): Record<string, string> {
  return (node[':@'] as Record<string, string>) ?? {};
}

function elementChildren(node: XmlNode, tag: string): XmlNode[] {
  return ((node[tag] as XmlNode[]) ?? []).filter((c) => tagOf(c) !== null);
}

function textOf(node: XmlNode, tag: string): string {
  return ((node[tag] as XmlNode[]) ?? []).map((c) => (typeof c['#text'] === 'string' ? c['#text'] : '')).join('');
}

function readProp(node: XmlNode): JmxProp | null {
  const tag = tagOf(node);
  if (!tag) return null;
  const kind = PROP_KINDS[tag];
  if (kind === undefined) return null;
  const a = attrs(node);
  const prop: JmxProp = { kind, name: a['@_name'] ?? '', value: '', items: [] };
  if (kind === 'collection' || kind === 'element') {
    for (const c of elementChildren(node, tag)) {
      const p = readProp(c);
      if (p) prop.items.push(p);
    }
  } else {
    prop.value = textOf(node, tag);
  }
  return prop;
}

/** Pairs each element with the hashTree after it. */
function readElements(hashTreeChildren: XmlNode[]): JmxElement[] {
  const out: JmxElement[] = [];
  for (const node of hashTreeChildren) {
    const tag = tagOf(node)!;
    if (tag === 'hashTree') {
      const last = out[out.length - 1];
      if (!last) throw new JmxFormatError('hashTree without a preceding element');
      last.children = readElements(elementChildren(node, 'hashTree'));
      continue;
    }
    const a = attrs(node);
    const props: JmxProp[] = [];
    for (const c of elementChildren(node, tag)) {
      const p = readProp(c);
      if (p) props.push(p);
    }
    out.push({
      tag,
      testclass: a['@_testclass'] ?? tag,
      testname: a['@_testname'] ?? '',
      enabled: a['@_enabled'] !== 'false',
      props,
      children: [],
    });
  }
  return out;
}

/** Parse a .jmx document; returns the top-level elements (normally one TestPlan). */
export function parseJmx(xml: string): JmxElement[] {
  checkXmlChars(xml);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new JmxFormatError(`invalid XML: ${valid.err.msg} at line ${valid.err.line}`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    trimValues: false,
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: true,
    ignoreDeclaration: true,
    commentPropName: false,
  });
  const doc = parser.parse(xml) as XmlNode[];
  const root = doc.find((n) => tagOf(n) === 'jmeterTestPlan');
  if (!root) throw new JmxFormatError('no <jmeterTestPlan> root');
  const top = elementChildren(root, 'jmeterTestPlan');
  if (top.length !== 1 || tagOf(top[0]) !== 'hashTree') throw new JmxFormatError('<jmeterTestPlan> must hold one <hashTree>');
  return readElements(elementChildren(top[0], 'hashTree'));
}

/** Scalar property value (raw), or undefined. */
export function prop(el: JmxElement | JmxProp, name: string): string | undefined {
  const list = 'props' in el ? el.props : el.items;
  return list.find((p) => p.name === name)?.value;
}

export function propItems(el: JmxElement | JmxProp, name: string): JmxProp[] {
  const list = 'props' in el ? el.props : el.items;
  return list.find((p) => p.name === name)?.items ?? [];
}

/** Depth-first, document order (the order JMeter runs samplers in). */
export function* walk(elements: JmxElement[], ancestors: JmxElement[] = []): Generator<{ el: JmxElement; ancestors: JmxElement[] }> {
  for (const el of elements) {
    if (!el.enabled) continue;
    yield { el, ancestors };
    yield* walk(el.children, [...ancestors, el]);
  }
}

/** Every scalar property value of an element and its nested collection/element props. */
export function allScalarValues(props: JmxProp[]): string[] {
  const out: string[] = [];
  for (const p of props) {
    if (p.kind === 'collection' || p.kind === 'element') out.push(...allScalarValues(p.items));
    else out.push(p.value);
  }
  return out;
}

/** The test plan's User Defined Variables, name → raw value, in order. */
export function userDefinedVariables(testPlan: JmxElement): Array<{ name: string; value: string; desc: string }> {
  const udv = testPlan.props.find((p) => p.name === 'TestPlan.user_defined_variables');
  if (!udv) return [];
  return propItems(udv, 'Arguments.arguments').map((arg) => ({
    name: prop(arg, 'Argument.name') ?? '',
    value: prop(arg, 'Argument.value') ?? '',
    desc: prop(arg, 'Argument.desc') ?? '',
  }));
}

/** A UserParameters pre-processor's names and the values of its first column. */
export function userParameters(el: JmxElement): Array<{ name: string; value: string }> {
  const names = propItems(el, 'UserParameters.names').map((p) => p.value);
  const columns = propItems(el, 'UserParameters.thread_values');
  const first = columns[0]?.items.map((p) => p.value) ?? [];
  if (first.length !== names.length) throw new JmxFormatError(`UserParameters "${el.testname}": ${names.length} names but ${first.length} values`);
  return names.map((name, i) => ({ name, value: first[i] }));
}
