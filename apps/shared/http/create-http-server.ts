/**
 * The fastify instance every process starts from: zod schemas for validation,
 * serialisation and the OpenAPI document, JSON bodies only, and one error shape
 * (`{ "error": "<reason>" }`, see http-errors.ts) for every 4xx/5xx.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type RawServerDefault } from 'fastify';
import { serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';
import { sendFailure, sendNotFound } from './http-errors';
import { registerOpenApi, type OpenApiInfo } from './openapi';

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;
/** Routes as a fastify plugin whose schemas are zod schemas. */
export type HttpPlugin = FastifyPluginAsyncZod;

export interface CreateHttpServerOptions {
  /** The process's logger; fastify logs through it (but not every request, see below). */
  logger: Logger;
  /** Serve the OpenAPI document and the docs page (openapi.ts). */
  openapi?: OpenApiInfo;
}

// fastify's types describe these factories for ajv and fast-json-stringify only.
const ZOD_COMPILERS = {
  compilersFactory: { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler },
} as unknown as FastifyServerOptions['schemaController'];

/** An encoded device token (up to 4096 characters) still fits in one path parameter. */
const MAX_PARAM_LENGTH = 12 * 1024;

export function createHttpServer(o: CreateHttpServerOptions): HttpApp {
  // Typed as fastify's base logger so plugins typed against the default instance fit this one.
  const logger: FastifyBaseLogger = o.logger;
  const app = Fastify({
    loggerInstance: logger,
    // One log line per request would flood the process's output; failures are logged by sendFailure.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // fastify answers its own bare 503 to every request once close() began; the processes
    // drain on their own terms and keep answering (so /readyz can say why it is not ready).
    return503OnClosing: false,
    // Malformed URLs (bad percent-encoding) and over-long parameters get the same error shape.
    frameworkErrors: sendFailure,
    // Every route validates and serialises with the zod compilers below: handing them to the
    // schema controller keeps fastify from loading its default ones (ajv, fast-json-stringify),
    // about 2 MiB of heap in every process that would never use them.
    schemaController: ZOD_COMPILERS,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // fastify parses text/plain bodies by default; JSON is the only body these APIs take, and
  // a body of any other type is refused with 415 (FST_ERR_CTP_INVALID_MEDIA_TYPE).
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(sendFailure);
  app.setNotFoundHandler(sendNotFound);
  if (o.openapi) registerOpenApi(app, o.openapi);
  return app;
}
