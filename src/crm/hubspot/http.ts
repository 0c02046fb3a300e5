import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { z } from 'zod';
import { CrmError } from '../errors.ts';
import {
  checkDailyReserve,
  type DailyLimitSeen,
  dailyFromHeaders,
  type Limiter,
  rateLimitWaitMs,
} from './limits.ts';
import { type ErrorBody, errorBodySchema } from './schemas.ts';

export interface HubspotHttpOptions {
  /** `https://api.hubapi.com`, or the sandbox's URL. */
  baseUrl: string;
  /** Sent only in the Authorization header; never in errors. */
  token: string;
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number };
  /** The app's 10-second burst, shared by every worker. */
  burst?: Limiter;
  /** The search API's per-second limit, shared by every worker. */
  search?: Limiter;
  /** Further attempts after a 5xx or a network failure (429s do not count). Default 4. */
  retries?: number;
  /** Longest total wait on 429s for one call before it fails. Default 2 minutes. */
  maxRateLimitWaitMs?: number;
  /** Calls of the daily budget kept back: at or below it the connector stops. Default 0. */
  dailyReserve?: number;
  onDaily?: (seen: DailyLimitSeen) => void;
  connections?: number;
}

export interface HubspotCall<T> {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
  schema: z.ZodType<T>;
  /** A POST that is not a read: after a failure on the wire it may have been applied, so it is not repeated. */
  unsafe?: boolean;
  /** What a 404 stands for, when it is not an error. */
  notFound?: T;
}

/** A HubSpot answer the connector cannot use: its status, category and message (token removed). */
export class HubspotApiError extends Error {
  readonly status: number;
  readonly category: string | undefined;
  readonly body: ErrorBody;
  constructor(route: string, status: number, body: ErrorBody) {
    super(
      `HubSpot ${route} answered ${status}${body.category ? ` ${body.category}` : ''}: ${body.message ?? '(no message)'}`,
    );
    this.name = 'HubspotApiError';
    this.status = status;
    this.category = body.category;
    this.body = body;
  }
}

const isSearch = (path: string) => path.split('?')[0]?.endsWith('/search') === true;

/**
 * One undici pool per connector, with timeouts; every call waits its turn at the shared
 * limiters, retries 5xx and network failures (reads only), and waits out 429s without spending
 * an attempt, up to a total wait.
 */
export function createHubspotHttp(opts: HubspotHttpOptions) {
  const url = new URL(opts.baseUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(url.origin, {
    connections: opts.connections ?? 8,
    connectTimeout: opts.timeouts?.connectMs ?? 10_000,
    headersTimeout: opts.timeouts?.headersMs ?? 30_000,
    bodyTimeout: opts.timeouts?.bodyMs ?? 30_000,
  });
  const headers = {
    authorization: `Bearer ${opts.token}`,
    accept: 'application/json',
    'user-agent': 'sahut-sync',
  };
  const retries = opts.retries ?? 4;
  let daily: DailyLimitSeen | null = null;
  const redact = (text: string) => text.split(opts.token).join('[REDACTED]');
  const parseError = (text: string): ErrorBody => {
    try {
      return errorBodySchema.parse(JSON.parse(redact(text)));
    } catch {
      return { message: redact(text).slice(0, 200) };
    }
  };

  async function call<T>(c: HubspotCall<T>, signal?: AbortSignal): Promise<T> {
    const route = `${c.method} ${c.path.split('?')[0]?.replace(/\/\d+$/, '/:id')}`;
    let failures = 0;
    let waited = 0;
    let streak = 0;
    for (;;) {
      checkDailyReserve(daily, opts.dailyReserve ?? 0);
      const release = await (isSearch(c.path) ? opts.search : opts.burst)?.take(signal);
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        // The slot is held until the headers are back: the server counted the request by then.
        const res = await pool
          .request({
            method: c.method,
            path: basePath + c.path,
            headers: c.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
            body: c.body === undefined ? null : JSON.stringify(c.body),
            signal,
          })
          .finally(() => release?.());
        status = res.statusCode;
        const seen = dailyFromHeaders(res.headers, Date.now());
        if (seen) {
          daily = seen;
          opts.onDaily?.(seen);
        }
        const ra = res.headers['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
        text = await res.body.text();
      } catch (err) {
        signal?.throwIfAborted();
        const code = (err as { code?: unknown }).code;
        const reason = typeof code === 'string' ? code : err instanceof Error ? err.name : 'network error';
        if (c.unsafe || failures >= retries)
          throw new Error(
            `HubSpot ${route} failed on the wire (${reason})${c.unsafe ? '; it may have been applied' : ''}`,
          );
        failures += 1;
        await sleep(backoff(failures), undefined, { signal });
        continue;
      }
      if (status >= 200 && status < 300) return parse(c, route, text);
      if (status === 404 && c.notFound !== undefined) return c.notFound;
      const body = parseError(text);
      if (status === 429) {
        if (body.policyName === 'DAILY')
          throw new CrmError(
            'LIMIT_EXHAUSTED',
            `HubSpot's daily API limit is spent (429 DAILY): the next run resumes from its cursor after HubSpot resets the count at midnight in the account's time zone`,
          );
        const wait = rateLimitWaitMs(body.policyName, retryAfter, streak);
        if (waited + wait > (opts.maxRateLimitWaitMs ?? 120_000))
          throw new HubspotApiError(route, status, {
            ...body,
            message: `${body.message ?? ''} (still limited after ${Math.round(waited / 1000)} s of waiting)`,
          });
        streak += 1;
        waited += wait;
        await sleep(wait, undefined, { signal });
        continue;
      }
      streak = 0;
      if (status === 401 || status === 403) throw authError(status, body);
      if (status >= 500 && failures < retries && !c.unsafe) {
        failures += 1;
        await sleep(backoff(failures), undefined, { signal });
        continue;
      }
      throw new HubspotApiError(route, status, body);
    }
  }

  return {
    call,
    /** The daily budget as last reported, or null before any answer carried it. */
    daily: () => daily,
    close: () => pool.close(),
  };
}

export type HubspotHttp = ReturnType<typeof createHubspotHttp>;

function parse<T>(c: HubspotCall<T>, route: string, text: string): T {
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new Error(`HubSpot ${route}: the answer is not JSON (${text.length} bytes)`);
  }
  const parsed = c.schema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 3);
    throw new Error(`HubSpot ${route}: unexpected answer (${where.join('; ')})`);
  }
  return parsed.data;
}

const backoff = (failure: number) =>
  Math.min(8000, 250 * 2 ** (failure - 1)) + Math.floor(Math.random() * 100);

function authError(status: number, body: ErrorBody): CrmError {
  if (status === 401)
    return new CrmError(
      'SOURCE_INVALID',
      `HubSpot refused the access token (401 ${body.category ?? ''}): check source.token (the private app's token; rotated tokens stop working)`,
    );
  const scopes = JSON.stringify(body.errors?.[0]?.context?.requiredGranularScopes ?? body.message ?? '');
  return new CrmError(
    'SOURCE_INVALID',
    `HubSpot refused the call (403 ${body.category ?? ''}): the private app lacks a scope, ${scopes}; add it in the app's settings`,
  );
}
