/**
 * The packages the bundles import at run time (left external by esbuild's
 * `packages: 'external'`) must be production dependencies: the Docker image installs only
 * those (`npm ci --omit=dev`), so a devDependency reached from a process (vite, tsx, yaml…)
 * would work here and fail there. Checked on every build.
 */
import { builtinModules } from 'node:module';

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));

/** `["dist/x.js imports vite (not a production dependency)", ...]` */
export function externalsOutsideDependencies(metafile, dependencies) {
  const problems = [];
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    for (const { path, external } of imports) {
      if (!external || isBuiltin(path)) continue;
      if (!(packageOf(path) in dependencies)) problems.push(`${output} imports ${path} (not a production dependency in package.json)`);
    }
  }
  return [...new Set(problems)];
}
