import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export interface RetryOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the second try; doubled each time, with jitter, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per try. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 6,
  baseDelayMs: 1_000, // 1 s, 2 s, 4 s, 8 s, 16 s: about half a minute in all
  maxDelayMs: 30_000,
  timeoutMs: 10_000,
};

export type Delivery = { ok: true; tries: number } | { ok: false; tries: number; reason: string };

/**
 * POSTs `body` as JSON until the receiver takes it (2xx). Network errors, 408,
 * 429 and 5xx are retried with backoff (a Retry-After within `maxDelayMs` is
 * honoured); any other answer is final. Never throws; `signal` stops waiting.
 */
export async function deliver(
  url: string,
  body: unknown,
  retry: RetryOptions,
  signal?: AbortSignal,
): Promise<Delivery> {
  const payload = JSON.stringify(body);
  let reason = 'not tried';
  for (let tries = 1; tries <= retry.attempts; tries++) {
    let waitMs: number | undefined;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'sahut-sync' },
        body: payload,
        headersTimeout: retry.timeoutMs,
        bodyTimeout: retry.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, tries };
      reason = `HTTP ${res.statusCode}`;
      if (!(res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500))
        return { ok: false, tries, reason };
      waitMs = retryAfterMs(res.headers['retry-after']);
    } catch (err) {
      if (signal?.aborted) return { ok: false, tries, reason: 'shut down' };
      // The message of a network error carries no URL (undici names the code), so it is safe to log.
      reason = (err as { code?: string }).code ?? (err instanceof Error ? err.name : 'network error');
    }
    if (tries === retry.attempts) break;
    const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (tries - 1));
    const delay = Math.min(retry.maxDelayMs, waitMs ?? backoff * (0.5 + Math.random() / 2));
    try {
      await sleep(delay, undefined, signal ? { signal } : {});
    } catch {
      return { ok: false, tries, reason: 'shut down' };
    }
  }
  return { ok: false, tries: retry.attempts, reason };
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
