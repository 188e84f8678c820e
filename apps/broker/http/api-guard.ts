/**
 * What every REST data route goes through, in this order: find the caller (http-auth.ts),
 * count the request against the caller's rate limit (by user; by peer address when the caller
 * could not be identified, so a flood of bad tokens is slowed too; admins are exempt), then refuse the
 * unidentified with 401. Registered on the data routes' scope, so the probes, metrics and the
 * OpenAPI document are never behind it.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { HttpApp } from '../../shared/http/create-http-server';
import { HttpError } from '../../shared/http/http-errors';
import type { HttpAuth } from './http-auth';

export interface ApiRateLimit {
  /** Requests one caller may make per window; 0: no limit. */
  max: number;
  windowMs: number;
  /** Callers tracked at once (least recently seen forgotten first): bounds the limiter's memory. */
  maxKeys: number;
}

const failures = new WeakMap<FastifyRequest, HttpError>();

export async function guardApi(app: HttpApp, auth: HttpAuth, limit: ApiRateLimit | undefined): Promise<void> {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    try {
      request.principal = await auth.identify(request);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      failures.set(request, e);
    }
  });
  if (limit && limit.max > 0) {
    await app.register(rateLimit, { global: false, cache: limit.maxKeys });
    app.addHook(
      'onRequest',
      app.rateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        keyGenerator: (request) => (request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`),
        // Admins are operators and services (provisioning, load tools), trusted with bulk calls.
        allowList: (request) => request.principal?.admin === true,
        errorResponseBuilder: (_request, ctx) =>
          new HttpError(429, `more than ${ctx.max} requests in ${limit.windowMs} ms: retry in ${ctx.after}`, 'rate-limited'),
      }),
    );
  }
  app.addHook('onRequest', async (request) => {
    const failed = failures.get(request);
    if (failed) throw failed;
  });
}
