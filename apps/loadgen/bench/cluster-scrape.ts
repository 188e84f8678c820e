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

/** The cluster counters of every node in `nodeIds`, scraping until each has answered. */
export async function scrapeNodes(port: number, nodeIds: string[]): Promise<NodeCounters> {
  const out: NodeCounters = new Map();
  for (let i = 0; i < 50 && out.size < nodeIds.length; i++) {
    const text = await scrapeOnce(port);
    const node = /^stompbox_cluster_node_info\{node="([^"]+)"\} 1$/m.exec(text)?.[1];
    if (!node || out.has(node)) continue;
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
