/**
 * What a broker process loads at start-up: the packages its entry point reaches through static
 * imports (the build bundles every relative file, dynamically imported ones too, and hoists
 * their package imports to the top of the bundle, so all of these load before the first line
 * runs). Packages a broker process does not need stay out: Prisma (the store is plain SQL,
 * shared/store/sql-store.ts) and ioredis (required on first use, shared/redis-client.ts). That
 * fastify's default schema compilers stay out is checked in shared/http/create-http-server.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const APPS = resolve(import.meta.dirname, '..');

/** `import x from 'y'`, `export { x } from 'y'`, `import 'y'`, `import('y')`; not `import type`. */
const VALUE_IMPORT = /^(?:import|export)\s+(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  return null;
}

/** Packages reached from `entry` through value imports, with the file that imports each. */
function packagesReached(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(VALUE_IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec);
        if (target) todo.push(target);
      } else if (!spec.startsWith('node:') && m[3] === undefined) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!packages.has(name)) packages.set(name, relative(APPS, file));
      }
    }
    // The generated Prisma client is a local file that imports the Prisma runtime.
    if (file.includes(`${join('store', 'generated')}`)) packages.set('@prisma/client', relative(APPS, file));
  }
  return packages;
}

describe('broker start-up imports', () => {
  const reached = packagesReached(join(APPS, 'broker', 'main.ts'));

  it('reaches the packages a broker needs (the walk works)', () => {
    for (const name of ['fastify', 'ws', 'pg', 'amqplib', 'prom-client', 'zod']) expect(reached.has(name), name).toBe(true);
  });

  it('leaves out Prisma and ioredis', () => {
    const unwanted = ['@prisma/client', '@prisma/adapter-pg', 'ioredis'];
    expect(unwanted.filter((name) => reached.has(name)).map((name) => `${name} (from ${reached.get(name)})`)).toEqual([]);
  });
});
