/**
 * The OpenAPI document, generated from the route schemas (zod, through
 * fastify-type-provider-zod's jsonSchemaTransform), at /api/openapi.json, and the
 * Swagger UI page at /api/docs. The UI's scripts and styles come from the
 * @fastify/swagger-ui package itself, so the page works without a network.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { HttpApp } from './create-http-server';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  /**
   * How callers identify themselves, declared as every operation's default (routes open to
   * all, like the probes, say `security: []`): a bearer JWT, or development mode's `x-user`.
   */
  auth?: 'bearer' | 'development-user';
}

const SCHEMES = {
  bearer: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT whose `sub` is the user id' } },
  'development-user': {
    developmentUser: {
      type: 'apiKey',
      in: 'header',
      name: 'x-user',
      description: 'Development mode only (no JWT configured, loopback clients): the user to act as; absent: the local operator, an admin',
    },
  },
} as const;

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/**
 * Register on the root instance before any route plugin: @fastify/swagger collects
 * routes through an onRoute hook, so routes added before it are missing from the document.
 */
export function registerOpenApi(app: HttpApp, info: OpenApiInfo): void {
  const { auth, ...fields } = info;
  const schemes = auth ? SCHEMES[auth] : undefined;
  app.register(fastifySwagger, {
    openapi: {
      info: fields,
      ...(schemes ? { components: { securitySchemes: schemes }, security: Object.keys(schemes).map((name) => ({ [name]: [] })) } : {}),
    },
    transform: jsonSchemaTransform,
  });
  app.register(fastifySwaggerUi, { routePrefix: DOCS_PATH });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
