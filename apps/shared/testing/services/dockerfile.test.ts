/**
 * The Dockerfile cannot be built here (no Docker engine), so it is kept correct by review and
 * by this test: a build stage compiles; the runtime stage installs production dependencies
 * only, holds every file the compiled code reads from the project root, runs as a non-root
 * user, and its CMD is plain node on a compiled entry. .dockerignore keeps the host's
 * installed, built and generated files out of the build context.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPILED_ENTRIES } from './compiled-entries';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

interface Stage {
  from: string;
  name?: string;
  /** `[instruction, arguments]`, continuation lines joined, comments dropped. */
  lines: Array<[string, string]>;
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const line of logical) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line)!;
    const instruction = op.toUpperCase();
    if (instruction === 'FROM') {
      const [from, , name] = args.split(/\s+/);
      stages.push({ from, name, lines: [] });
    } else stages.at(-1)!.lines.push([instruction, args]);
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const build = stages.find((s) => s.name === 'build')!;
const runtime = stages.at(-1)!;
const args = (s: Stage, op: string) => s.lines.filter(([o]) => o === op).map(([, a]) => a);
/** COPY destinations in the runtime stage, as paths under WORKDIR /app. */
/** Paths the runtime stage holds, relative to its working directory: a COPY into `./` keeps each source's name. */
const runtimeCopies = args(runtime, 'COPY').flatMap((a) => {
  const words = a.split(/\s+/).filter((w) => !w.startsWith('--'));
  const dest = words.at(-1)!.replace(/^\.\//, '').replace(/\/$/, '');
  return dest === '' || dest === '.' ? words.slice(0, -1).map((src) => src.split('/').at(-1)!) : [dest];
});

/** Non-test TypeScript under apps/ (the code the bundles are made of). */
function appSources(dir = join(root, 'apps')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'generated' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return appSources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('Dockerfile', () => {
  it('has a build stage that installs everything, generates the Prisma client and compiles', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build).toBeDefined();
    const run = args(build, 'RUN').join('\n');
    expect(run).toMatch(/npm ci\b/);
    expect(run).toMatch(/prisma-generate\.mjs/);
    expect(run).toMatch(/npm run build\b/);
    for (const a of args(build, 'COPY')) {
      for (const f of a.split(/\s+/).slice(0, -1)) expect(existsSync(join(root, f)), `COPY ${f}`).toBe(true);
    }
  });

  it('installs production dependencies only in the runtime stage, and no TypeScript runner', () => {
    expect(runtime).not.toBe(build);
    const run = args(runtime, 'RUN');
    const installs = run.filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/\bnpm ci\b/);
    expect(installs[0]).toMatch(/--omit=dev\b/);
    expect(runtime.lines.map(([, a]) => a).join('\n')).not.toMatch(/\btsx\b/);
    expect(args(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
  });

  it('runs plain node on a compiled entry, as a non-root user', () => {
    const cmd = JSON.parse(args(runtime, 'CMD').at(-1)!) as string[];
    expect(cmd[0]).toBe('node');
    expect(COMPILED_ENTRIES).toContain(cmd.at(-1));
    const user = args(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
  });

  it('copies into the runtime stage the compiled code and every project file it reads', () => {
    expect(args(runtime, 'COPY').some((a) => a.startsWith('--from=build') && /\bdist\b/.test(a))).toBe(true);
    expect(runtimeCopies).toContain('dist');
    // Code finds its files through apps/shared/project-root.ts: each projectPath('…') is copied.
    const read = new Set(appSources().flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/projectPath\('([^']+)'\)/g)].map((m) => m[1])));
    expect(read.size).toBeGreaterThan(0);
    for (const path of read) expect(runtimeCopies.some((c) => path === c || path.startsWith(`${c}/`)), path).toBe(true);
  });
});

describe('.dockerignore', () => {
  it("keeps the host's installed, built and generated files out of the image", () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', 'apps/**/generated', 'apps/demo/dist', '.data', '.git']) expect(ignored, p).toContain(p);
  });
});
