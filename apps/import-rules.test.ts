/**
 * The layout's import rules (apps/README.md "Import rules"), checked against every source file:
 * - `shared/` imports no app; `shared/stomp/` imports nothing but itself and Node built-ins;
 * - broker and consumer never import each other;
 * - an app imports only itself and `shared/`, except where processes are composed: entry points
 *   (`<app>/main.ts`), the all-in-one process, and tests with their helpers, which may start
 *   another app to talk to it over a socket;
 * - nothing imports a process's entry point.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const APPS = import.meta.dirname;

/** Every .ts/.mjs file under apps/, skipping generated code and build output. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'generated' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm;

/** The specifiers a file imports (static, dynamic and side-effect imports). */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  // Comments may quote imports; drop them first.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(SPECIFIER)) found.push(m[1] ?? m[2] ?? m[3]);
  return found;
}

/** `apps/<top>/...` → top ("broker", "shared", ...); files directly in apps/ → "". */
const topOf = (rel: string) => (rel.includes(sep) ? rel.split(sep)[0] : '');

const isTestSide = (rel: string) => /\.test\.ts$|\.contract\.ts$/.test(rel) || rel.split(sep).some((p) => p === 'testing' || p === 'test');
const isEntryPoint = (rel: string) => /^[^/\\]+[/\\]main\.ts$/.test(rel);

interface Violation {
  file: string;
  imports: string;
  rule: string;
}

/** Check one import of `file` (both relative to apps/); returns the rule it breaks, if any. */
export function ruleBroken(file: string, target: string): string | null {
  const from = topOf(file);
  const to = topOf(target);
  if (target.startsWith('..')) return null; // outside apps/ (prisma config and the like)
  if (file.startsWith(`shared${sep}stomp${sep}`) && !target.startsWith(`shared${sep}stomp${sep}`)) return 'shared/stomp imports only itself';
  if (from === 'shared' && to !== 'shared') return 'shared imports no app';
  if ((from === 'broker' && to === 'consumer') || (from === 'consumer' && to === 'broker')) return 'broker and consumer never import each other';
  if (isEntryPoint(target) && target !== file) return 'nothing imports an entry point';
  if (from === to || to === 'shared') return null;
  if (isEntryPoint(file) || from === 'all-in-one' || isTestSide(file)) return null;
  return `${from || 'apps/'} imports only itself and shared (only entry points compose)`;
}

function violations(): Violation[] {
  const out: Violation[] = [];
  for (const path of sourceFiles(APPS)) {
    const file = relative(APPS, path);
    for (const spec of importsOf(readFileSync(path, 'utf8'))) {
      if (file.startsWith(`shared${sep}stomp${sep}`) && !isTestSide(file) && !spec.startsWith('.') && !spec.startsWith('node:')) {
        out.push({ file, imports: spec, rule: 'shared/stomp imports only itself and Node built-ins' });
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = relative(APPS, resolve(dirname(path), spec));
      const rule = ruleBroken(file, target);
      if (rule) out.push({ file, imports: spec, rule });
    }
  }
  return out;
}

describe('import rules', () => {
  it('hold for every file under apps/', () => {
    const found = violations().map((v) => `${v.file} imports ${v.imports}: ${v.rule}`);
    expect(found).toEqual([]);
  });

  it('are really checked: each rule catches a breaking import', () => {
    const j = (...p: string[]) => p.join(sep);
    expect(ruleBroken(j('shared', 'queue', 'x.ts'), j('broker', 'broker.ts'))).toMatch(/shared imports no app/);
    expect(ruleBroken(j('shared', 'stomp', 'parser.ts'), j('shared', 'config.ts'))).toMatch(/stomp/);
    expect(ruleBroken(j('broker', 'hub', 'hub.ts'), j('consumer', 'writer.ts'))).toMatch(/never import each other/);
    expect(ruleBroken(j('consumer', 'main.ts'), j('broker', 'broker.ts'))).toMatch(/never import each other/);
    expect(ruleBroken(j('demo', 'routes.ts'), j('loadgen', 'run', 'plan.ts'))).toMatch(/only itself and shared/);
    expect(ruleBroken(j('all-in-one', 'pipeline.ts'), j('broker', 'main.ts'))).toMatch(/entry point/);
    expect(ruleBroken(j('broker', 'main.ts'), j('demo', 'routes.ts'))).toBeNull();
    expect(ruleBroken(j('all-in-one', 'pipeline.ts'), j('consumer', 'consumer.ts'))).toBeNull();
    expect(ruleBroken(j('loadgen', 'test', 'x.test.ts'), j('broker', 'broker.ts'))).toBeNull();
    expect(importsOf("import type { A } from './a';\nexport { B } from '../b';\nconst c = await import('./c');\n// import x from './no'\n")).toEqual([
      './a',
      '../b',
      './c',
    ]);
  });
});
