/**
 * What scripts/build.mjs compiles: each `<path>.ts` of scripts/build-entries.json becomes
 * `dist/<path>.js`. The tests of docker-compose.yml and the Dockerfile check that what they
 * run is one of these.
 */
import entries from '../../../../scripts/build-entries.json';

export const COMPILED_ENTRIES: readonly string[] = entries.map((e) => `dist/${e.replace(/\.ts$/, '.js')}`);

/** `dist/apps/broker/main.js` → `apps/broker/main.ts`. */
export const sourceOf = (compiled: string) => compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts');
