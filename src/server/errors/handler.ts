import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../../log/index.ts';
import { StoreArgumentError } from '../../store/index.ts';
import { type ErrorBody, type ErrorCode, errorBody, HttpError } from './catalogue.ts';

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  503: 'UNAVAILABLE',
};

/**
 * What a thrown value becomes on the wire. Our own errors keep their message;
 * a framework 4xx keeps its (fixed, value-free) message except 401, whose
 * text could hint at what was wrong with the credentials; anything else is a
 * plain 500 so no internals or stacks leak.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof HttpError) return errorBody(err.code, err.message);
  if (err instanceof StoreArgumentError) return errorBody('BAD_QUERY', err.message);
  const status = statusOf(err);
  if (status !== undefined && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
    if (code === 'UNAUTHORIZED') return errorBody(code);
    const message = err instanceof Error ? err.message : undefined;
    return { ...errorBody(code, message), statusCode: status, error: STATUS_CODES[status] ?? 'Error' };
  }
  return errorBody('INTERNAL');
}

/** Logs 5xx at error (with the cause) and 4xx at info (without); `path` carries no query string (it may hold a phone). */
export function logError(log: Logger, err: unknown, body: ErrorBody, path?: string): void {
  if (body.statusCode >= 500) log.error({ err, path }, 'request failed');
  else log.info({ code: body.code, statusCode: body.statusCode, path }, body.message);
}

export type ErrorRenderer = (reply: FastifyReply, body: ErrorBody) => FastifyReply;

const renderJson: ErrorRenderer = (reply, body) => reply.code(body.statusCode).send(body);

/** Installs the catalogue-backed error and not-found handlers on `app` (and its children). */
export function useErrorHandler(app: FastifyInstance, log: Logger, render: ErrorRenderer = renderJson): void {
  app.setErrorHandler((err, request, reply) => {
    const body = toErrorBody(err);
    logError(log, err, body, request.url.split('?')[0]);
    return render(reply, body);
  });
}

export function useNotFoundHandler(app: FastifyInstance, render: ErrorRenderer = renderJson): void {
  app.setNotFoundHandler((_request, reply) => render(reply, errorBody('NOT_FOUND')));
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('statusCode' in err)) return undefined;
  return typeof err.statusCode === 'number' ? err.statusCode : undefined;
}
