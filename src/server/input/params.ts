import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, httpError } from '../errors/catalogue.ts';

/** Longest query or path parameter any route accepts; ids, cursors and searches are far shorter. */
export const MAX_PARAM_LENGTH = 256;

const MAX_NAME_LENGTH = 64;

// Control characters (C0, DEL, C1): no id, phone, email, name or date holds one, and
// PostgreSQL refuses a NUL in text outright (it would surface as a 500).
const CONTROL = /\p{Cc}/u;

/**
 * What is wrong with one parameter source (a parsed query string or route
 * params), or null. Names the parameter but never echoes its value (nor a
 * name that is itself unprintable or over-long).
 */
export function paramProblem(source: unknown, kind: 'query' | 'path'): string | null {
  if (source === null || typeof source !== 'object') return null;
  for (const [name, value] of Object.entries(source)) {
    if (CONTROL.test(name) || name.length > MAX_NAME_LENGTH)
      return `Invalid ${kind}: a parameter name holds control characters or is too long`;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item !== 'string') continue;
      if (CONTROL.test(item)) return `Invalid ${kind}: ${name}: control characters are not allowed`;
      if (item.length > MAX_PARAM_LENGTH)
        return `Invalid ${kind}: ${name}: longer than ${MAX_PARAM_LENGTH} characters`;
    }
  }
  return null;
}

/**
 * Refuses, for every route of `app` (Bull Board's included), a query or path
 * parameter holding a control character or longer than MAX_PARAM_LENGTH, with
 * a 400 BAD_QUERY, before any handler or store sees it. It runs after the
 * authentication hooks, so an anonymous caller still gets a 401.
 */
export function rejectUnsafeParams(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problem = paramProblem(request.query, 'query') ?? paramProblem(request.params, 'path');
    if (problem) throw httpError('BAD_QUERY', problem);
  });
}

/**
 * The router's own refusals (a path parameter over the length limit, a
 * malformed percent escape) as catalogue 400s; Fastify's defaults echo the
 * path, and the first is a 414.
 */
export function frameworkErrors(
  error: Error & { code?: string },
  _request: FastifyRequest,
  reply: FastifyReply,
) {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `Invalid path: a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
      : 'Invalid path: not a valid URL';
  return reply.code(400).send(errorBody('BAD_QUERY', message));
}
