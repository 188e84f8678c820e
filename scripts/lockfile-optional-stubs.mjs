#!/usr/bin/env node
/**
 * Make `npm ci` accept package-lock.json when the registry in use lacks some platform-only
 * optional packages (seen here: a registry mirror answers 404 for rollup's android/darwin/win32/
 * musl/... builds). npm then leaves them out of the lock file, and `npm ci` refuses the lock
 * ("Missing: @rollup/rollup-android-arm-eabi@ from lock file"). For every optional dependency
 * that a locked package declares, is absent from the lock and is restricted to another
 * platform, this adds a stub entry (version, optional, os/cpu/libc) so npm can see that it is
 * skipped on this platform. Entries of packages the registry does serve are never touched.
 * Idempotent. Run after `npm install` changes the lock file:  node scripts/lockfile-optional-stubs.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;

// "@rollup/rollup-linux-arm-gnueabihf" -> os linux, cpu arm, libc glibc. Only names that
// spell a platform this way are stubbed; anything else is left for npm to resolve.
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd'];
const CPU = ['arm', 'arm64', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el'];
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  for (let i = 0; i < parts.length - 1; i++) {
    if (OS.includes(parts[i]) && CPU.includes(parts[i + 1])) {
      const rest = parts.slice(i + 2).join('-');
      const libc = parts[i] === 'linux' ? (rest.includes('musl') ? ['musl'] : rest.includes('gnu') ? ['glibc'] : undefined) : undefined;
      return { os: [parts[i]], cpu: [parts[i + 1]], ...(libc ? { libc } : {}) };
    }
  }
  return null;
}

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pkgs[key] || pkgs[`${path}/node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(range)) continue;
    pkgs[key] = { version: range, ...(meta.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
if (added > 0) {
  const sorted = {};
  for (const k of Object.keys(pkgs).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0))) sorted[k] = pkgs[k];
  lock.packages = sorted;
  writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
}
console.log(`lockfile-optional-stubs: ${added} stub entr${added === 1 ? 'y' : 'ies'} added`);
