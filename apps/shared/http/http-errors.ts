/**
 * One error shape for every HTTP server: a 4xx/5xx status with `{ "error": "<reason>" }`, or
 * `{ "error": "<code>", "reason": "<reason>" }` for refusals a client acts on by code
 * (unauthenticated, forbidden, rate-limited), like a STOMP ERROR's `message` and body.
 * Schema validation, body parsing, routing, store errors and handler errors all end here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { StoreUnavailableError } from '../store/message-store';
import { InvalidArgumentError } from '../store/validate';

/** A refusal a handler or hook throws: its status and reason are sent as they are. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    reason: string,
    /** A stable code sent as `error` (the reason then goes in `reason`). */
    readonly code?: string,
  ) {
    super(reason);
    this.name = 'HttpError';
  }
}

export const ErrorBody = z
  .object({
    error: z.string().describe('Why the request failed; for coded refusals the code (unauthenticated, forbidden, rate-limited)'),
    reason: z.string().optional().describe('With a code: why'),
  })
  .describe('A refusal with its reason');

/** Response schemas for the error statuses a route documents. */
export function errorResponses<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody])) as { [K in S[number]]: typeof ErrorBody };
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
}

interface FailureLike {
  statusCode?: number;
  code?: string;
  message?: string;
  validation?: ValidationIssue[];
  validationContext?: string;
}

/** "querystring.limit: must be …; body.id: …" — where each issue is, then what is wrong. */
function validationReason(issues: ValidationIssue[], context = 'request'): string {
  return issues
    .map((i) => {
      const path = i.instancePath.split('/').filter(Boolean).join('.');
      return `${context}${path ? `.${path}` : ''}: ${i.message ?? 'invalid'}`;
    })
    .join('; ');
}

/** Status and reason for anything thrown while serving a request. */
export function failureOf(err: unknown, request: FastifyRequest): { status: number; reason: string; code?: string } {
  const e = (err ?? {}) as FailureLike;
  if (err instanceof HttpError) return { status: err.statusCode, reason: err.message, code: err.code };
  if (Array.isArray(e.validation)) return { status: 400, reason: validationReason(e.validation, e.validationContext) };
  if (err instanceof InvalidArgumentError) return { status: 400, reason: err.message };
  if (err instanceof StoreUnavailableError) return { status: 503, reason: 'store unavailable' };
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, reason: `the body must be application/json, not ${request.headers['content-type'] ?? 'untyped'}` };
  }
  // fastify's own refusals (bad URL, JSON syntax, body too large, forbidden static path)
  // carry a 4xx status and a message meant for the client.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, reason: e.message ?? 'bad request' };
  return { status: 500, reason: 'internal error' };
}

/** The error handler (and `frameworkErrors`) of every server. */
export function sendFailure(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, reason, code } = failureOf(err, request);
  if (status >= 500 && !(err instanceof HttpError)) {
    request.log[status === 503 ? 'warn' : 'error']({ err, method: request.method, url: request.url }, 'http request failed');
  }
  return reply.code(status).send(code === undefined ? { error: reason } : { error: code, reason });
}

/** 404 for any method and path no route serves (and files @fastify/static does not find). */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0].slice(0, 200);
  return reply.code(404).send({ error: `no route for ${request.method} ${path}` });
}
