/** Messages between the push consumer's thread and its send workers (push-send-worker.ts). */
import type { BaseMessage } from 'firebase-admin/messaging';
import type { Outcome } from './fcm-outcome';
import type { SendPart } from './fcm-send';

export interface SendWorkerInit {
  projectId: string;
  appName: string;
  /** The service-account key (production): the worker makes its own credential from it. */
  serviceAccount?: Record<string, unknown>;
  /**
   * Tests and benchmarks: a module whose `createFcm(arg, appName)` returns the worker's FcmApp
   * (a local FCM mock instead of Google), loaded in the worker in place of the above.
   */
  setup?: { module: string; arg: unknown };
}

/** One message to its tokens, or (`parts`) several messages in one sendEach call. */
export type SendRequest = { id: number; message: BaseMessage; tokens: string[] } | { id: number; parts: SendPart[] };

export type SendResponse = { id: number; outcomes: Outcome[] } | { ready: true } | { fatal: string };
