import { CrmError } from '../errors.ts';

/** At most `max` requests in any rolling `windowMs`: how HubSpot states its limits. */
export interface WindowLimit {
  max: number;
  windowMs: number;
}

/**
 * Takes one request slot of a limit shared by every worker (the project's Redis window limiter
 * fits). The slot is held until the returned function is called, once the answer's headers or the
 * request's failure came back: HubSpot counts a request somewhere in between.
 */
export interface Limiter {
  take(signal?: AbortSignal): Promise<() => void>;
}

/** HubSpot's daily budget as its last answer reported it (`X-HubSpot-RateLimit-Daily*`). */
export interface DailyLimitSeen {
  daily: number;
  remaining: number;
  /** Epoch ms of the answer. */
  at: number;
  /** The app's requests per 10 s (`X-HubSpot-RateLimit-Max`), when the answer said. */
  tenSecondly?: number;
}

/** Reads the daily pair off a response's headers; absent (search answers, OAuth apps) → null. */
export function dailyFromHeaders(
  headers: Record<string, string | string[] | undefined>,
  at: number,
): DailyLimitSeen | null {
  const daily = Number(headers['x-hubspot-ratelimit-daily']);
  const remaining = Number(headers['x-hubspot-ratelimit-daily-remaining']);
  if (
    !Number.isFinite(daily) ||
    !Number.isFinite(remaining) ||
    headers['x-hubspot-ratelimit-daily-remaining'] === undefined
  )
    return null;
  const max = Number(headers['x-hubspot-ratelimit-max']);
  return { daily, remaining, at, ...(Number.isFinite(max) && max > 0 ? { tenSecondly: max } : {}) };
}

/** A figure this old is asked again (one call): the budget resets at midnight in the account's time zone. */
export const DAILY_RECHECK_MS = 10 * 60_000;

/**
 * Stops a run before it spends the calls kept back for people and other apps sharing the
 * account's daily budget.
 */
export function checkDailyReserve(seen: DailyLimitSeen | null, reserve: number, now = Date.now()): void {
  if (!seen || seen.remaining > reserve || now - seen.at > DAILY_RECHECK_MS) return;
  throw new CrmError(
    'LIMIT_EXHAUSTED',
    `HubSpot's daily API limit is nearly spent: ${seen.remaining} of ${seen.daily} calls left, at or below the reserve of ${reserve} (source.limits.dailyReserve) kept for other apps; the run stops here and the next one resumes from its cursor once HubSpot resets the count at midnight in the account's time zone`,
  );
}

/** How long to wait before trying a 429'd request again, by the policy HubSpot named. */
export function rateLimitWaitMs(
  policyName: string | undefined,
  retryAfter: string | undefined,
  streak: number,
): number {
  const seconds = Number(retryAfter);
  if (retryAfter !== undefined && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  // Both windows roll: a slot opens as the oldest request leaves it, so a second at a time is
  // enough, growing a little while the storm lasts (another app may share the 10-s budget).
  const base = policyName === 'SECONDLY' ? 1000 : 1000 * Math.min(1 + streak, 5);
  return base + Math.floor(Math.random() * 250);
}
