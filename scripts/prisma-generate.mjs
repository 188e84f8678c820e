#!/usr/bin/env node
/**
 * Generate the Prisma client (apps/shared/store/generated/prisma, gitignored) offline.
 * Runs as `postinstall`, so `npm ci` on a fresh clone leaves a ready client, and as
 * `npm run db:generate` (add --force to regenerate even when up to date).
 *
 * Prisma 7's CLI tries to download its native schema engine before any command and fails
 * without internet; `generate` does not use that engine, and pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips the download. The runtime needs no
 * native binary (wasm query compiler + adapter).
 * A stamp (hash of schema + Prisma version) skips the ~3 s run when nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = join(root, 'prisma/schema.prisma');
const outDir = join(root, 'apps/shared/store/generated/prisma');
const stampFile = join(outDir, '.stamp');
const cli = join(root, 'node_modules/prisma/build/index.js');

if (!existsSync(cli)) {
  // Installed without devDependencies (production image that ships a generated client).
  console.log('prisma-generate: prisma CLI not installed, skipping');
  process.exit(0);
}
const prismaVersion = JSON.parse(readFileSync(join(root, 'node_modules/prisma/package.json'), 'utf8')).version;
const stamp = createHash('sha256').update(readFileSync(schema)).update(prismaVersion).digest('hex');
const force = process.argv.includes('--force');
if (!force && existsSync(join(outDir, 'client.ts')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  process.exit(0);
}

const env = {
  ...process.env,
  // Any existing file will do: generate never runs it (see above).
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const r = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], { cwd: root, env, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('prisma-generate: `prisma generate` failed');
  process.exit(r.status ?? 1);
}
writeFileSync(stampFile, stamp);
