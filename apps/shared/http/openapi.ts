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
}

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/**
 * Register on the root instance before any route plugin: @fastify/swagger collects
 * routes through an onRoute hook, so routes added before it are missing from the document.
 */
export function registerOpenApi(app: HttpApp, info: OpenApiInfo): void {
  app.register(fastifySwagger, { openapi: { info }, transform: jsonSchemaTransform });
  app.register(fastifySwaggerUi, { routePrefix: DOCS_PATH });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
