import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { Pool } from 'undici';
import type { z } from 'zod';
import {
  SahutError,
  SahutOutcomeUnknownError,
  SahutRateLimitedError,
  SahutRequestError,
  SahutResponseError,
  SahutUnavailableError,
} from './errors.ts';
import { type ResolvedOptions, resolveOptions, type SahutClientOptions } from './options.ts';
import { classifyFailure, type Failure, type FailureDecision } from './retry-policy.ts';
import { describeIssues, listPageSchema, oneContactSchema } from './schemas.ts';
import type {
  CallOptions,
  ContactInput,
  ContactPatch,
  ListPage,
  ListParams,
  RequestEvent,
  SahutApi,
  SahutContact,
} from './types.ts';

export interface SahutClient extends SahutApi {
  /** Closes the keep-alive pool; pending calls finish first. */
  close(): Promise<void>;
}

type Method = 'GET' | 'POST' | 'PUT';

interface Call<T> {
  method: Method;
  /** Route template, e.g. `GET /contacts/:id`. */
  route: string;
  /** Relative to the base path, query included. */
  path: string;
  body?: unknown;
  schema: z.ZodType<T>;
  /** What a 404 stands for when it is not an error (GET by id answers `null`). */
  notFound?: { value: T };
  /** A page of a full listing, which the rate limiter may pace apart from record writes. */
  scan?: true;
}

/** One failed exchange that the policy says to retry; it becomes the `cause` when retries run out. */
class AttemptFailure extends Error {
  readonly decision: FailureDecision;
  readonly status: number | null;
  constructor(route: string, decision: FailureDecision, status: number | null, cause?: unknown) {
    super(`${route}: ${decision.reason}`, cause === undefined ? undefined : { cause });
    this.name = 'AttemptFailure';
    this.decision = decision;
    this.status = status;
  }
}

const REDACTED = '[REDACTED]';
const contactData = oneContactSchema.transform((r) => r.data);
const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'UNKNOWN';
};
const single = (h: string | string[] | undefined): string | null =>
  Array.isArray(h) ? (h[0] ?? null) : (h ?? null);

export function createSahutClient(opts: SahutClientOptions): SahutClient {
  return new HttpSahutClient(resolveOptions(opts));
}

class HttpSahutClient implements SahutClient {
  readonly #opts: ResolvedOptions;
  readonly #pool: Pool;
  readonly #headers: Record<string, string>;

  constructor(opts: ResolvedOptions) {
    this.#opts = opts;
    this.#pool = new Pool(opts.origin, {
      connections: opts.connections,
      connectTimeout: opts.timeouts.connectMs,
      headersTimeout: opts.timeouts.headersMs,
      bodyTimeout: opts.timeouts.bodyMs,
    });
    this.#headers = {
      authorization: `Bearer ${opts.apiKey}`,
      accept: 'application/json',
      'user-agent': opts.userAgent,
    };
  }

  list(params: ListParams, opts: CallOptions = {}): Promise<ListPage> {
    const query = new URLSearchParams();
    if (params.q !== undefined) query.set('q', params.q);
    if (params.tag !== undefined) query.set('tag', params.tag);
    if (params.page !== undefined) query.set('page', String(params.page));
    if (params.perPage !== undefined) query.set('per_page', String(params.perPage));
    // URLSearchParams writes `+` as %2B (a bare `+` would arrive as a space).
    const qs = query.toString();
    const path = qs ? `/contacts?${qs}` : '/contacts';
    // A listing without `q` is a scan's page (the Sahut→CRM pass, the scan index); with it, a search.
    const scan = params.q === undefined ? { scan: true as const } : {};
    return this.#call({ method: 'GET', route: 'GET /contacts', path, schema: listPageSchema, ...scan }, opts);
  }

  /**
   * Offset pagination: under concurrent writes a page boundary can shift, so a
   * contact may be skipped or seen twice. Full scans must de-duplicate by id and
   * must not treat "not seen in this scan" as "deleted".
   */
  async *iterate(
    params: Omit<ListParams, 'page'> = {},
    opts: CallOptions = {},
  ): AsyncGenerator<SahutContact> {
    const perPage = params.perPage ?? 100;
    for (let page = 1; ; page++) {
      const { data, meta } = await this.list({ ...params, page, perPage }, opts);
      yield* data;
      if (data.length === 0 || page >= meta.total_pages) return;
    }
  }

  get(id: string, opts: CallOptions = {}): Promise<SahutContact | null> {
    const path = contactPath(id);
    return this.#call<SahutContact | null>(
      { method: 'GET', route: 'GET /contacts/:id', path, schema: contactData, notFound: { value: null } },
      opts,
    );
  }

  create(body: ContactInput, opts: CallOptions = {}): Promise<SahutContact> {
    return this.#call(
      { method: 'POST', route: 'POST /contacts', path: '/contacts', body, schema: contactData },
      opts,
    );
  }

  update(id: string, patch: ContactPatch, opts: CallOptions = {}): Promise<SahutContact> {
    const path = contactPath(id);
    return this.#call(
      { method: 'PUT', route: 'PUT /contacts/:id', path, body: patch, schema: contactData },
      opts,
    );
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  /** One logical call: retried per `classifyFailure`, every outcome mapped to a SahutError. */
  async #call<T>(call: Call<T>, { signal, onSend }: CallOptions): Promise<T> {
    // True while a POST may have reached Sahut's handler without a usable answer.
    let postInFlight = false;
    const attempt = async (attemptNumber: number): Promise<T> => {
      await this.#opts.rateLimiter?.take(signal, call.scan ? 'scan' : 'write');
      onSend?.();
      postInFlight = call.method === 'POST';
      try {
        return await this.#exchange(call, attemptNumber, signal);
      } catch (err) {
        if (err instanceof AttemptFailure) postInFlight = false;
        throw err;
      }
    };
    try {
      return await pRetry(attempt, {
        retries: this.#opts.retries,
        // The policy computes every wait; p-retry only counts attempts.
        minTimeout: 0,
        signal,
        shouldRetry: ({ error }) => error instanceof AttemptFailure,
        onFailedAttempt: async ({ error, retriesLeft }) => {
          if (retriesLeft > 0 && error instanceof AttemptFailure) {
            await sleep(error.decision.waitMs ?? 0, undefined, { signal });
          }
        },
      });
    } catch (err) {
      if (err instanceof AttemptFailure) throw this.#giveUp(call.route, err, '');
      if (err instanceof SahutError) throw err;
      // A caller's abort wins, except that an abandoned POST may still have created the contact.
      if (signal?.aborted) {
        throw postInFlight
          ? new SahutOutcomeUnknownError(call.route, { cause: signal.reason })
          : signal.reason;
      }
      throw new SahutUnavailableError(call.route, null, { cause: err });
    }
  }

  /** One HTTP exchange; the body is always consumed so the socket goes back to the pool. */
  async #exchange<T>(call: Call<T>, attempt: number, signal: AbortSignal | undefined): Promise<T> {
    const started = performance.now();
    const report = (status: number | null, error?: string, headers?: Record<string, string>) => {
      const event: RequestEvent = {
        method: call.method,
        route: call.route,
        status,
        durationMs: performance.now() - started,
        attempt,
      };
      if (error !== undefined) event.error = error;
      if (headers !== undefined) event.headers = headers;
      this.#opts.onRequest?.(event);
    };
    const body = call.body === undefined ? null : JSON.stringify(call.body);
    let status: number | null = null;
    let retryAfter: string | null = null;
    let headers: Record<string, string> = {};
    let text: string;
    try {
      const res = await this.#pool.request({
        method: call.method,
        path: this.#opts.basePath + call.path,
        headers: body === null ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
        body,
        signal,
      });
      status = res.statusCode;
      retryAfter = single(res.headers['retry-after']);
      headers = describingHeaders(res.headers);
      text = await res.body.text();
    } catch (err) {
      const code = codeOf(err);
      report(status, code);
      if (signal?.aborted) throw err;
      throw this.#decide(call, { kind: 'network', code }, attempt, null, '', err);
    }
    report(status, undefined, headers);
    if (status >= 200 && status < 300) return this.#parse(call, text);
    if (status === 404 && call.notFound) return call.notFound.value;
    throw this.#decide(call, { kind: 'status', status, retryAfter }, attempt, status, text);
  }

  /** Either an AttemptFailure (p-retry tries again) or an AbortError carrying the final SahutError. */
  #decide(
    call: Call<unknown>,
    failure: Failure,
    attempt: number,
    status: number | null,
    body: string,
    cause?: unknown,
  ) {
    const decision = classifyFailure(failure, { method: call.method, attempt, policy: this.#opts.policy });
    const attemptFailure = new AttemptFailure(call.route, decision, status, cause);
    return decision.retry ? attemptFailure : new AbortError(this.#giveUp(call.route, attemptFailure, body));
  }

  #giveUp(route: string, failure: AttemptFailure, body: string): SahutError {
    const { decision, status } = failure;
    switch (decision.giveUp) {
      case 'rejected':
        return new SahutRequestError(route, status ?? 0, this.#redact(body));
      case 'rate-limited':
        return new SahutRateLimitedError(route, decision.waitMs ?? this.#opts.policy.minDelayMs);
      case 'outcome-unknown':
        return new SahutOutcomeUnknownError(route, { cause: failure });
      case 'unavailable':
        return new SahutUnavailableError(route, status, { cause: failure });
    }
  }

  #parse<T>(call: Call<T>, text: string): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AbortError(new SahutResponseError(call.route, `body is not JSON (${text.length} bytes)`));
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success)
      throw new AbortError(new SahutResponseError(call.route, describeIssues(parsed.error)));
    return parsed.data;
  }

  /** A server may echo the request back; the key must not travel on inside an error. */
  #redact(text: string): string {
    return text.split(this.#opts.apiKey).join(REDACTED);
  }
}

/** The headers that describe the server rather than the body: its clock and its limits. */
function describingHeaders(all: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    const text = single(value);
    if (text !== null && /^(date|retry-after)$|ratelimit/i.test(name)) kept[name.toLowerCase()] = text;
  }
  return kept;
}

function contactPath(id: string): string {
  if (!id) throw new TypeError('contact id is required');
  return `/contacts/${encodeURIComponent(id)}`;
}
