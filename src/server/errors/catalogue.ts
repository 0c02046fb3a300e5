import { STATUS_CODES } from 'node:http';

/**
 * Every error the server answers with: a stable code, its HTTP status and a
 * default message. Routes throw `httpError(code, message?)`; the error handler
 * turns it into `{ statusCode, code, error, message }`.
 */
export const ERRORS = {
  BAD_QUERY: { statusCode: 400, message: 'Invalid query parameter' },
  BAD_REQUEST: { statusCode: 400, message: 'Bad request' },
  UNAUTHORIZED: { statusCode: 401, message: 'Authentication required' },
  CROSS_SITE: {
    statusCode: 403,
    message: 'Actions are only taken from the dashboard itself (cross-site request)',
  },
  NOT_FOUND: { statusCode: 404, message: 'Not found' },
  RUN_NOT_FOUND: { statusCode: 404, message: 'Run not found' },
  ATTENTION_NOT_FOUND: { statusCode: 404, message: 'The record is not in the attention listing' },
  ACTION_NOT_FOUND: { statusCode: 404, message: 'No action with this id (unknown, or no longer kept)' },
  METHOD_NOT_ALLOWED: { statusCode: 405, message: 'Method not allowed' },
  READ_ONLY: { statusCode: 405, message: 'The dashboard is read-only (DASHBOARD_READ_ONLY=true)' },
  ACTION_NOT_ALLOWED: { statusCode: 409, message: 'This action does not apply to this record' },
  INTERNAL: { statusCode: 500, message: 'Internal server error' },
  UNAVAILABLE: { statusCode: 503, message: 'Service unavailable' },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
}

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERRORS[code].message);
    this.name = 'HttpError';
    this.code = code;
    this.statusCode = ERRORS[code].statusCode;
  }
}

export function httpError(code: ErrorCode, message?: string): HttpError {
  return new HttpError(code, message);
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  const { statusCode } = ERRORS[code];
  return {
    statusCode,
    code,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: message ?? ERRORS[code].message,
  };
}
