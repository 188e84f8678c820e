/**
 * A send worker: its own firebase-admin app, sending the batches the push consumer's thread
 * hands it (sendEachForMulticast, answers classified) so that the SDK's per-request cost —
 * most of a push's CPU time — spreads over cores. Queue, collapse, retries and the token store
 * stay on the consumer's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cert } from 'firebase-admin/app';
import { createFcmApp, type FcmApp } from './fcm-app';
import { sendMulticast, sendParts } from './fcm-send';
import type { SendRequest, SendResponse, SendWorkerInit } from './push-send-protocol';

const init = workerData as SendWorkerInit;
const port = parentPort!;
const post = (m: SendResponse) => port.postMessage(m);

async function open(): Promise<FcmApp> {
  if (init.setup) {
    const mod = (await import(init.setup.module)) as { createFcm(arg: unknown, appName: string): FcmApp };
    return mod.createFcm(init.setup.arg, init.appName);
  }
  return createFcmApp({ credential: cert(init.serviceAccount as never), projectId: init.projectId, appName: init.appName });
}

try {
  const fcm = await open();
  port.on('message', (req: SendRequest | 'close') => {
    if (req === 'close') {
      void fcm.close().finally(() => port.close());
      return;
    }
    const sent = 'parts' in req ? sendParts(fcm.messaging, req.parts) : sendMulticast(fcm.messaging, req.message, req.tokens);
    void sent.then((outcomes) => post({ id: req.id, outcomes }));
  });
  post({ ready: true });
} catch (err) {
  post({ fatal: (err as Error).message });
}
