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
const routeOf = (c: HubspotCall<unknown>) => `${c.method} ${c.path.split('?')[0]?.replace(/\/\d+$/, '/:id')}`;

type Failed = { wire: string } | { status: number; body: ErrorBody; retryAfter: string | undefined };
type Attempt<T> = { done: T } | Failed;
/** A call's failures so far, 429 waits apart: they do not spend its retries. */
interface Tally {
  failures: number;
  waited: number;
  streak: number;
}

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

  /**
   * One request, after its turn at the limiter (`held`: the release of a turn taken already);
   * what came back.
   */
  async function attempt<T>(
    c: HubspotCall<T>,
    signal: AbortSignal | undefined,
    held?: () => void,
  ): Promise<Attempt<T>> {
    let release = held;
    try {
      checkDailyReserve(daily, opts.dailyReserve ?? 0);
      release ??= await (isSearch(c.path) ? opts.search : opts.burst)?.take(signal);
    } catch (err) {
      held?.();
      throw err;
    }
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
      return { wire: typeof code === 'string' ? code : err instanceof Error ? err.name : 'network error' };
    }
    if (status >= 200 && status < 300) return { done: parse(c, routeOf(c), text) };
    if (status === 404 && c.notFound !== undefined) return { done: c.notFound };
    return { status, body: parseError(text), retryAfter };
  }

  /** What to do after a failed attempt: wait that long and try again, or give up with the error. */
  function afterFailure(c: HubspotCall<unknown>, a: Failed, tally: Tally): number {
    const route = routeOf(c);
    if ('wire' in a) {
      if (c.unsafe || tally.failures >= retries)
        throw new Error(
          `HubSpot ${route} failed on the wire (${a.wire})${c.unsafe ? '; it may have been applied' : ''}`,
        );
      tally.failures += 1;
      return backoff(tally.failures);
    }
    const { status, body } = a;
    if (status === 429) {
      if (body.policyName === 'DAILY')
        throw new CrmError(
          'LIMIT_EXHAUSTED',
          `HubSpot's daily API limit is spent (429 DAILY): the next run resumes from its cursor after HubSpot resets the count at midnight in the account's time zone`,
        );
      const wait = rateLimitWaitMs(body.policyName, a.retryAfter, tally.streak);
      if (tally.waited + wait > (opts.maxRateLimitWaitMs ?? 120_000))
        throw new HubspotApiError(route, status, {
          ...body,
          message: `${body.message ?? ''} (still limited after ${Math.round(tally.waited / 1000)} s of waiting)`,
        });
      tally.streak += 1;
      tally.waited += wait;
      return wait;
    }
    tally.streak = 0;
    if (status === 401 || status === 403) throw authError(status, body);
    if (status >= 500 && tally.failures < retries && !c.unsafe) {
      tally.failures += 1;
      return backoff(tally.failures);
    }
    throw new HubspotApiError(route, status, body);
  }

  async function call<T>(c: HubspotCall<T>, signal?: AbortSignal): Promise<T> {
    const tally: Tally = { failures: 0, waited: 0, streak: 0 };
    for (;;) {
      const a = await attempt(c, signal);
      if ('done' in a) return a.done;
      await sleep(afterFailure(c, a, tally), undefined, { signal });
    }
  }

  /**
   * A compare-and-set: `read`, then the write `decide` makes of what it read (none: nothing to
   * write), sent at once. HubSpot has no conditional write, so nothing may come between the two:
   * the write's turn at the limiter is taken before the read, and a write that fails (5xx, 429,
   * the wire) is never sent again as it was, but decided again from a new read, with the waits
   * and retries of a call. A write sent on the wire may have been applied: the new read shows it.
   */
  async function compareAndSet<R, T>(
    read: () => Promise<R>,
    decide: (read: R) => HubspotCall<T> | null,
    signal?: AbortSignal,
  ): Promise<{ read: R; written: T | null }> {
    const tally: Tally = { failures: 0, waited: 0, streak: 0 };
    for (;;) {
      const release = (await opts.burst?.take(signal)) ?? (() => {});
      let r: R;
      let c: HubspotCall<T> | null;
      try {
        r = await read();
        c = decide(r);
      } catch (err) {
        release();
        throw err;
      }
      if (!c) {
        release();
        return { read: r, written: null };
      }
      const a = await attempt(c, signal, release);
      if ('done' in a) return { read: r, written: a.done };
      await sleep(afterFailure({ ...c, unsafe: false }, a, tally), undefined, { signal });
    }
  }

  return {
    call,
    compareAndSet,
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
