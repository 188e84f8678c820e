/**
 * The caller's push device tokens (an app registers the token FCM gave it, and unregisters it
 * at sign-out):
 *
 *   POST   /api/devices          {"token": "...", "platform": "android"}   204
 *   DELETE /api/devices/:token                                            204 / 404 (not the caller's)
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import { principalOf } from './request-principal';
import { idSchema, NoContent } from './schemas';

export interface DeviceRouteOptions {
  /** Largest JSON body accepted. Default 16 KiB (a token is at most 4096 characters). */
  maxBodyBytes?: number;
}

const Token = idSchema('Push device token', 4096);

export function deviceRoutes(store: Pick<DeviceTokenStore, 'upsertDeviceToken' | 'deleteDeviceTokenOf'>, opts: DeviceRouteOptions = {}): HttpPlugin {
  const bodyLimit = opts.maxBodyBytes ?? 16 * 1024;

  return async (app) => {
    app.post(
      '/api/devices',
      {
        bodyLimit,
        schema: {
          summary: 'Register or refresh a push device token for the caller (a token moves to its latest user)',
          tags: ['devices'],
          body: z.object({ token: Token, platform: z.enum(['android', 'ios', 'web']) }),
          response: { 204: NoContent, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (req, reply) => {
        await store.upsertDeviceToken(principalOf(req).userId, req.body.token, req.body.platform);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/api/devices/:token',
      {
        schema: {
          summary: 'Unregister one of the caller’s push device tokens',
          tags: ['devices'],
          params: z.object({ token: Token }),
          response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req, reply) => {
        // Another user's token answers like a missing one: tokens are not to be probed.
        if (!(await store.deleteDeviceTokenOf(principalOf(req).userId, req.params.token))) throw new HttpError(404, 'no such token');
        return reply.code(204).send();
      },
    );
  };
}
