/**
 * Get-or-create helpers for prom-client metrics on a caller's Registry (never the global
 * default): several pipeline instances can share one registry (the all-in-one process, and
 * tests that start many in one process) without "metric already registered" errors.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels<T extends string> = readonly T[];

export function counter<T extends string = string>(registry: Registry, name: string, help: string, labelNames: Labels<T> = []): Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<T>;
  return new Counter<T>({ name, help, labelNames: [...labelNames], registers: [registry] });
}

export function gauge<T extends string = string>(registry: Registry, name: string, help: string, labelNames: Labels<T> = []): Gauge<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<T>;
  return new Gauge<T>({ name, help, labelNames: [...labelNames], registers: [registry] });
}

export function histogram<T extends string = string>(
  registry: Registry,
  name: string,
  help: string,
  buckets: number[],
  labelNames: Labels<T> = [],
): Histogram<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<T>;
  return new Histogram<T>({ name, help, buckets, labelNames: [...labelNames], registers: [registry] });
}
