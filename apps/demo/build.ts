/**
 * Builds the demo page with vite into apps/demo/dist (or another directory), bundling
 * @stomp/stompjs: no CDN at run time. `npm run build:demo` runs this after type-checking
 * the browser code; `--if-missing` skips the build when dist already has an index.html
 * (for `npm start`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const DEMO_WEB_DIR = fileURLToPath(new URL('./web', import.meta.url));
export const DEMO_DIST_DIR = fileURLToPath(new URL('./dist', import.meta.url));

export async function buildDemo(outDir: string = DEMO_DIST_DIR): Promise<void> {
  await build({
    configFile: false,
    root: DEMO_WEB_DIR,
    base: '/',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false, target: 'es2022', reportCompressedSize: false },
  });
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const ifMissing = process.argv.includes('--if-missing');
  if (ifMissing && existsSync(join(DEMO_DIST_DIR, 'index.html'))) {
    console.log(`demo page already built in ${DEMO_DIST_DIR}`);
  } else {
    await buildDemo();
    console.log(`demo page built into ${DEMO_DIST_DIR}`);
  }
}
