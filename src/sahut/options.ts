import type { TokenBucket } from './rate-limiter.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { RequestEvent } from './types.ts';

const SECOND = 1000;

export interface SahutClientOptions {
  /** Including the version path, e.g. `https://api.sahut.id/v1`. */
  baseUrl: string;
  /** Sent only in the Authorization header; never in errors or events. */
  apiKey: string;
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number };
  retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number };
  /** A 429 asking for a longer wait throws SahutRateLimitedError at once, so the queue can pause instead. */
  maxRetryAfterMs?: number;
  /** Pass one instance to several clients to share one rate. */
  rateLimiter?: TokenBucket;
  /** Called once per HTTP exchange, retries included. */
  onRequest?: (event: RequestEvent) => void;
  userAgent?: string;
  /** Keep-alive sockets in the pool. */
  connections?: number;
}

export const CLIENT_DEFAULTS = {
  timeouts: { connectMs: 10 * SECOND, headersMs: 30 * SECOND, bodyMs: 30 * SECOND },
  retry: { retries: 5, minDelayMs: 250, maxDelayMs: 20 * SECOND },
  maxRetryAfterMs: 30 * SECOND,
  userAgent: 'sahut-sync',
  connections: 16,
} as const;

export interface ResolvedOptions {
  origin: string;
  /** `/v1`, without a trailing slash. */
  basePath: string;
  apiKey: string;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number };
  retries: number;
  policy: RetryPolicy;
  rateLimiter: TokenBucket | undefined;
  onRequest: ((event: RequestEvent) => void) | undefined;
  userAgent: string;
  connections: number;
}

/** Drops keys set to `undefined`, so an explicit `undefined` keeps the default. */
const given = <T extends object>(o: T | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

export function resolveOptions(opts: SahutClientOptions): ResolvedOptions {
  let url: URL;
  try {
    url = new URL(opts.baseUrl);
  } catch {
    throw new TypeError('Sahut baseUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError('Sahut baseUrl must be http(s)');
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('Sahut baseUrl must not carry a query, fragment or credentials');
  }
  if (!opts.apiKey) throw new TypeError('Sahut apiKey is required');
  const retry = { ...CLIENT_DEFAULTS.retry, ...given(opts.retry) };
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    apiKey: opts.apiKey,
    timeouts: { ...CLIENT_DEFAULTS.timeouts, ...given(opts.timeouts) },
    retries: retry.retries,
    policy: {
      minDelayMs: retry.minDelayMs,
      maxDelayMs: retry.maxDelayMs,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? CLIENT_DEFAULTS.maxRetryAfterMs,
    },
    rateLimiter: opts.rateLimiter,
    onRequest: opts.onRequest,
    userAgent: opts.userAgent ?? CLIENT_DEFAULTS.userAgent,
    connections: opts.connections ?? CLIENT_DEFAULTS.connections,
  };
}
