/**
 * Development mode's rule for HTTP, as for WebSockets (ws-endpoint.ts): without
 * authentication only loopback peers are served (health probes excepted). Called from the
 * broker's one onRequest hook, so that authentication can replace it in one place.
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../../shared/http/http-errors';
import { isLoopback } from '../loopback';

export async function loopbackOnly(request: FastifyRequest): Promise<void> {
  // request.ip is the socket's peer: fastify reads X-Forwarded-For only with trustProxy, which is off.
  if (!isLoopback(request.ip)) {
    throw new HttpError(403, 'no authentication configured: only loopback clients are served (set ALLOW_REMOTE_WITHOUT_AUTH=true to override)');
  }
}
