// Worker entry from source: a worker thread does not inherit the tsx loader of its parent in
// every setup, so register tsx here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./push-send-worker.ts');
