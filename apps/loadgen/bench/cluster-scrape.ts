/**
 * bench:cluster's counts at the nodes: each node's /metrics through the one shared port. The
 * primary hands every new connection to the next worker, so scraping over fresh connections
 * reaches each node in turn; `stompbox_cluster_node_info` says which one answered.
 */
import { get } from 'node:http';

export type NodeCounters = Map<string, Record<string, number>>;

function scrapeOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // agent: false = a new connection, so the next worker answers.
    const req = get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

/** Each node's /metrics text, by node id, scraping until `count` nodes have answered (or 50 tries). */
export async function scrapeNodeTexts(port: number, count: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < 50 && out.size < count; i++) {
    const text = await scrapeOnce(port);
    const node = /^stompbox_cluster_node_info\{node="([^"]+)"\} 1$/m.exec(text)?.[1];
    if (node && !out.has(node)) out.set(node, text);
  }
  return out;
}

/** Sum of a metric's samples (all labels) in one scrape; NaN when absent. */
export function metricSum(text: string, name: string): number {
  let sum = NaN;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?)$`, 'gm'))) sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[1]);
  return sum;
}

/** The cluster counters of every node in `nodeIds`, scraping until each has answered. */
export async function scrapeNodes(port: number, nodeIds: string[]): Promise<NodeCounters> {
  const out: NodeCounters = new Map();
  for (const [node, text] of await scrapeNodeTexts(port, nodeIds.length)) {
    const counters: Record<string, number> = {};
    for (const m of text.matchAll(/^(stompbox_cluster_[a-z_]+_total)(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/gm)) counters[m[1]] = (counters[m[1]] ?? 0) + Number(m[2]);
    out.set(node, counters);
  }
  return out;
}

/** Per node and counter: after - before. */
export function diffCounters(before: NodeCounters, after: NodeCounters): NodeCounters {
  const out: NodeCounters = new Map();
  for (const [node, a] of after) {
    const b = before.get(node) ?? {};
    out.set(node, Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)])));
  }
  return out;
}

/** A histogram's cumulative bucket counts in one scrape (all label sets summed), by upper bound. */
export function bucketsOf(text: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\d+)$`, 'gm'))) {
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    out.set(le, (out.get(le) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The bucket bound under which `p` % of the observations between two scrapes fall. */
export function bucketPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return NaN;
  for (const le of bounds) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= (p / 100) * total) return le;
  return Infinity;
}
