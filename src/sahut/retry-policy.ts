/** How one HTTP exchange failed. */
export type Failure =
  | { kind: 'status'; status: number; retryAfter: string | null }
  | { kind: 'network'; code: string };

/** Which error the client raises if it stops on this failure (now, or when retries run out). */
export type GiveUp = 'rejected' | 'rate-limited' | 'outcome-unknown' | 'unavailable';

export interface FailureDecision {
  retry: boolean;
  /** Short, stable, secret-free; for logs, events and audit rows. */
  reason: string;
  /** Wait before the next attempt; for a 429 that is not retried, how long the caller should pause. */
  waitMs?: number;
  giveUp: GiveUp;
}

export interface RetryPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After beyond this is not waited out in the client. */
  maxRetryAfterMs: number;
}

export interface FailureContext {
  method: string;
  /** 1 for the first attempt. */
  attempt: number;
  policy: RetryPolicy;
  now?: number;
  random?: () => number;
}

// The connection never opened, so the request provably did not reach Sahut: safe to re-send even a POST.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
// The request may have been written and handled: transient, but ambiguous for a POST.
const MAYBE_SENT = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** `Retry-After` as delta-seconds or an HTTP-date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names its day and month; this keeps Date.parse from reading `-5` as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter: uniform in [0, min(max, min·2^(attempt-1))]. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * The whole retry decision, pure. POST is not idempotent here: once it may have
 * reached Sahut's handler (a 5xx, or a network error after connecting) the outcome
 * is unknown and it is never re-sent; PUT carries the same partial body every time,
 * so it is retried like GET.
 */
export function classifyFailure(failure: Failure, ctx: FailureContext): FailureDecision {
  const { policy, method } = ctx;
  const backoff = () => backoffMs(ctx.attempt, policy, ctx.random);
  const isPost = method.toUpperCase() === 'POST';

  if (failure.kind === 'network') {
    const { code } = failure;
    if (NOT_SENT.has(code))
      return { retry: true, reason: `network ${code}`, waitMs: backoff(), giveUp: 'unavailable' };
    if (isPost)
      return { retry: false, reason: `POST may have been handled (${code})`, giveUp: 'outcome-unknown' };
    if (MAYBE_SENT.has(code))
      return { retry: true, reason: `network ${code}`, waitMs: backoff(), giveUp: 'unavailable' };
    return { retry: false, reason: `unexpected error ${code}`, giveUp: 'unavailable' };
  }

  const { status } = failure;
  const retryAfterMs = parseRetryAfter(failure.retryAfter, ctx.now);
  const tooLong = retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs;
  if (status === 429) {
    if (tooLong)
      return {
        retry: false,
        reason: 'HTTP 429, Retry-After too long',
        waitMs: retryAfterMs,
        giveUp: 'rate-limited',
      };
    return { retry: true, reason: 'HTTP 429', waitMs: retryAfterMs ?? backoff(), giveUp: 'rate-limited' };
  }
  const transient = status === 408 || status >= 500;
  if (!transient) return { retry: false, reason: `HTTP ${status}`, giveUp: 'rejected' };
  // 408: the server gave up reading the request, so it did not handle it, even for a POST.
  if (isPost && status !== 408)
    return { retry: false, reason: `POST may have been handled (HTTP ${status})`, giveUp: 'outcome-unknown' };
  if (tooLong) return { retry: false, reason: `HTTP ${status}, Retry-After too long`, giveUp: 'unavailable' };
  return { retry: true, reason: `HTTP ${status}`, waitMs: retryAfterMs ?? backoff(), giveUp: 'unavailable' };
}
