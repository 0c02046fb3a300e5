/**
 * Every failure the client surfaces is one of these. `permanent` tells the
 * queue whether another attempt could ever succeed.
 */
export abstract class SahutError extends Error {
  abstract readonly code: string;
  abstract readonly permanent: boolean;
  readonly route: string;
  constructor(route: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.route = route;
  }
}

/** A 4xx other than 408/429 (401, 404 on update, 422 …): retrying will not help. */
export class SahutRequestError extends SahutError {
  readonly code = 'SAHUT_REQUEST_REJECTED';
  readonly permanent = true;
  readonly status: number;
  /** Response body, truncated; never contains our credentials. */
  readonly body: string;
  constructor(route: string, status: number, body: string) {
    super(route, `Sahut rejected ${route} with HTTP ${status}: ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body.slice(0, 2000);
  }
}

/** Sahut kept answering 429 beyond the client's patience; wait `retryAfterMs` before the next call. */
export class SahutRateLimitedError extends SahutError {
  readonly code = 'SAHUT_RATE_LIMITED';
  readonly permanent = false;
  readonly retryAfterMs: number;
  constructor(route: string, retryAfterMs: number) {
    super(route, `Sahut rate-limited ${route}; retry after ${retryAfterMs} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Network errors, timeouts and 5xx after the retries ran out. */
export class SahutUnavailableError extends SahutError {
  readonly code = 'SAHUT_UNAVAILABLE';
  readonly permanent = false;
  readonly status: number | null;
  constructor(route: string, status: number | null, options?: ErrorOptions) {
    super(route, `Sahut unavailable for ${route}${status ? ` (HTTP ${status})` : ''}`, options);
    this.status = status;
  }
}

/**
 * A POST whose outcome is unknown: the request was sent, but no usable answer
 * came (timeout, reset, 5xx). The contact may exist now, so the caller must
 * re-search before it creates again; the client never re-sends it blindly.
 */
export class SahutOutcomeUnknownError extends SahutError {
  readonly code = 'SAHUT_OUTCOME_UNKNOWN';
  readonly permanent = false;
  constructor(route: string, options?: ErrorOptions) {
    super(
      route,
      `Outcome of ${route} is unknown: the request was sent but no usable answer came back`,
      options,
    );
  }
}

/** Sahut answered 2xx with a body that does not match the contract. */
export class SahutResponseError extends SahutError {
  readonly code = 'SAHUT_BAD_RESPONSE';
  readonly permanent = false;
  readonly detail: string;
  constructor(route: string, detail: string) {
    super(route, `Unexpected response from ${route}: ${detail}`);
    this.detail = detail;
  }
}

export const isSahutError = (err: unknown): err is SahutError => err instanceof SahutError;
