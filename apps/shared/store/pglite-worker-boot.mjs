// Worker entry: the worker file is TypeScript, and a worker thread does not inherit the loader
// of a vitest or tsx parent in every setup, so register tsx here, then load it. Also run as a
// child process (pglite-init.ts) that only creates a new data directory.
import { register } from 'tsx/esm/api';

register();
await import('./pglite-worker.ts');
