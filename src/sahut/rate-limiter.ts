export interface TokenBucketOptions {
  /** Sustained rate: tokens added per second. */
  ratePerSec: number;
  /** Bucket size: how many calls may go out back to back after a quiet spell. */
  burst: number;
  /** Monotonic clock in ms; tests may pass a fake one. */
  now?: () => number;
}

/** `scan`: a page of a full listing (no `q`); `write`: everything a record's sync asks. */
export type CallKind = 'write' | 'scan';

export interface TokenBucket {
  /**
   * Resolves once a token is granted, in call order; rejects with the signal's reason if aborted
   * first. A shared limiter may pace `scan` calls apart (see SCAN_RATE_SHARE); this one does not.
   */
  take(signal?: AbortSignal, kind?: CallKind): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A token bucket with a FIFO queue of waiters. One timer, set for the moment the
 * head of the queue can be served, replaces polling. The timer is unref'd so an
 * idle limiter never keeps the process alive. Share one instance between clients
 * to share one rate.
 */
export function createTokenBucket({
  ratePerSec,
  burst,
  now = () => performance.now(),
}: TokenBucketOptions): TokenBucket {
  if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec))
    throw new RangeError('ratePerSec must be a positive number');
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('burst must be at least 1');
  const perMs = ratePerSec / 1000;
  let tokens = burst;
  let at = now();
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + (t - at) * perMs);
    at = t;
  };

  const drain = () => {
    timer = undefined;
    refill();
    while (queue.length > 0 && tokens >= 1) {
      const waiter = queue.shift()!;
      tokens -= 1;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    schedule();
  };

  const schedule = () => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(drain, Math.max(1, Math.ceil((1 - tokens) / perMs)));
    timer.unref();
  };

  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      refill();
      if (queue.length === 0 && tokens >= 1) {
        tokens -= 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          signal,
          onAbort: () => {
            const i = queue.indexOf(waiter);
            if (i >= 0) queue.splice(i, 1);
            reject(signal?.reason);
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
        schedule();
      });
    },
  };
}
