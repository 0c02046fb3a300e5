import type { RedisClient } from '../redis/index.ts';

/** Takes one request slot, waiting as long as the shared rate requires. */
export interface RateLimiter {
  take(signal?: AbortSignal): Promise<void>;
}

// GCRA with reservation: each call books the next slot and returns how long to
// wait for it, so every process sharing the key stays under one rate in total.
// Redis TIME is the clock, so hosts with skewed clocks still agree.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tau = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tau - now
if wait < 0 then wait = 0 end
local nextTat = tat + interval
redis.call('SET', KEYS[1], tostring(nextTat), 'PX', math.ceil(nextTat - now + tau + 1000))
return math.ceil(wait)`;

export interface RedisRateLimiterOptions {
  key: string;
  ratePerSec: number;
  /** Requests allowed back to back after an idle spell; 1 keeps the rate strict. */
  burst?: number;
}

export function createRedisRateLimiter(redis: RedisClient, opts: RedisRateLimiterOptions): RateLimiter {
  const interval = 1000 / opts.ratePerSec;
  const burst = opts.burst ?? 1;
  return {
    async take(signal) {
      signal?.throwIfAborted();
      const wait = Number(await redis.eval(RESERVE, 1, opts.key, interval, burst));
      if (wait > 0) await sleep(wait, signal);
    },
  };
}

function sleep(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
