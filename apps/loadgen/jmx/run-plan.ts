/**
 * Run a JMeter plan from jmeter/ against a broker without JMeter, and print an aggregate
 * table like JMeter's (per sampler label: samples, errors, average and percentiles).
 *
 *   npx tsx apps/loadgen/jmx/run-plan.ts jmeter/seed-003-rooms.jmx -Jport=8080 -Jusers=100 [--json out.json]
 *
 * It interprets only the elements our plans use (plan-runner.ts); numbers come from one
 * Node process, so at thousands of users the client side may be the limit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJmx } from './jmx-model';
import { checkPlan } from './plan-check';
import { runPlan, type SamplerError, type SampleRecord } from './plan-runner';

export interface LabelStats {
  label: string;
  samples: number;
  errors: number;
  avgMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  firstError?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Aggregate per label, in first-seen order. */
export function aggregate(samples: SampleRecord[]): LabelStats[] {
  const groups = new Map<string, SampleRecord[]>();
  for (const s of samples) {
    const g = groups.get(s.label);
    if (g) g.push(s);
    else groups.set(s.label, [s]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, g]) => {
      const t = g.map((s) => s.elapsedMs).sort((a, b) => a - b);
      const failed = g.filter((s) => !s.ok);
      return {
        label,
        samples: g.length,
        errors: failed.length,
        avgMs: t.reduce((a, b) => a + b, 0) / t.length,
        p50Ms: percentile(t, 50),
        p90Ms: percentile(t, 90),
        p99Ms: percentile(t, 99),
        maxMs: t[t.length - 1],
        firstError: failed[0]?.message,
      };
    });
}

export function formatTable(stats: LabelStats[]): string {
  const head = ['label', 'samples', 'errors', 'error%', 'avg ms', 'p50', 'p90', 'p99', 'max'];
  const rows = stats.map((s) => [
    s.label, String(s.samples), String(s.errors), ((100 * s.errors) / s.samples).toFixed(2),
    s.avgMs.toFixed(1), s.p50Ms.toFixed(1), s.p90Ms.toFixed(1), s.p99Ms.toFixed(1), s.maxMs.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const errors = stats.filter((s) => s.firstError).map((s) => `  ${s.label}: ${s.firstError}`);
  return [line(head), ...rows.map(line), ...(errors.length ? ['first error per label:', ...errors] : [])].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('-'));
  if (!file) {
    console.error('usage: tsx apps/loadgen/jmx/run-plan.ts <plan.jmx> [-Jname=value ...] [--json out.json]');
    process.exit(2);
  }
  const props: Record<string, string> = {};
  for (const a of args) {
    const m = /^-J([A-Za-z0-9_.]+)=(.*)$/.exec(a);
    if (m) props[m[1]] = m[2];
  }
  const jsonAt = args.indexOf('--json');
  const plan = parseJmx(readFileSync(file, 'utf8'))[0];
  // Run it anyway, as JMeter would, but say first what real JMeter would trip over.
  const problems = checkPlan(plan, { props });
  for (const p of problems) console.error(`plan check: ${p}`);
  const t0 = Date.now();
  const samplerErrors: SamplerError[] = [];
  const samples = await runPlan(plan, { props, timeoutMs: 30 * 60_000, onSamplerError: (e) => samplerErrors.push(e) });
  const stats = aggregate(samples);
  console.log(`${file} ${JSON.stringify(props)}: ${samples.length} samples in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(formatTable(stats));
  if (samplerErrors.length) console.log(`${samplerErrors.length} sampler errors (no sample recorded), first: ${samplerErrors[0].label}: ${samplerErrors[0].message}`);
  if (jsonAt >= 0 && args[jsonAt + 1]) writeFileSync(args[jsonAt + 1], JSON.stringify({ file, props, stats, samplerErrors: samplerErrors.length }, null, 2));
  process.exitCode = problems.length || samplerErrors.length || stats.some((s) => s.errors > 0) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
