/**
 * A firebase-admin app aimed at a local FCM mock (possibly in another process) over either
 * transport: what the tests, the benchmark and their send workers (as the workers' `setup`
 * module) create instead of an app that reaches Google.
 */
import { FcmMock, type FcmTransport } from '../../../shared/testing/fcm-mock';
import { routeToMock } from '../../../shared/testing/fcm-mock-route';
import { createFcmApp, type FcmApp } from '../fcm-app';

export interface MockTarget {
  transport: FcmTransport;
  port: number;
  /** The 'h2' mock's certificate (PEM). */
  ca?: string;
  projectId?: string;
  /** HTTP/1.1 connections at most ('h1'). */
  sockets?: number;
  /** A batch holding this token ends the thread that sends it (a send worker dying mid-batch). */
  exitOnToken?: string;
}

export function createFcm(t: MockTarget, appName: string): FcmApp {
  const o = { credential: new FcmMock().credential(), projectId: t.projectId ?? 'demo-project', appName };
  if (t.transport === 'h1') return createFcmApp({ ...o, httpAgent: FcmMock.agentTo(t.port, t.sockets ?? 1_000) });
  const fcm = createFcmApp(o);
  routeToMock(fcm.messaging, FcmMock.routeTo(t.port, t.ca!));
  if (t.exitOnToken !== undefined) {
    const send = fcm.messaging.sendEachForMulticast.bind(fcm.messaging);
    fcm.messaging.sendEachForMulticast = (m, dry) => (m.tokens.includes(t.exitOnToken!) ? process.exit(1) : send(m, dry));
  }
  return fcm;
}

/** This module, for a send worker's `setup`. */
export const MOCK_FCM_APP_MODULE = import.meta.url;
