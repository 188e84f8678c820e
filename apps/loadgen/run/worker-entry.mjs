// Plain-JS entry for worker threads: loads the TypeScript worker through tsx's API, so it
// works whether the parent runs under tsx, vitest or anything else (loader hooks are not
// inherited by worker threads on Node 20).
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
