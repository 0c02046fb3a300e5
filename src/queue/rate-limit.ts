import { luaScript, type RedisClient } from '../redis/index.ts';

/** Takes one request slot, waiting as long as the shared rate requires. */
export interface RateLimiter {
  take(signal?: AbortSignal): Promise<void>;
}

// GCRA with reservation: each call books the next `n` slots and returns how far
// ahead of now the first one lies, so every process sharing the key stays under
// one rate in total. Redis TIME is the clock, so hosts with skewed clocks agree.
const RESERVE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tau = interval * (tonumber(ARGV[2]) - 1)
local n = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + interval * n
redis.call('SET', KEYS[1], tostring(nextTat), 'PX', math.ceil(nextTat - now + tau + 1000))
return tostring(tat - now)`);

export interface RedisRateLimiterOptions {
  key: string;
  ratePerSec: number;
  /** Requests allowed back to back after an idle spell; 1 keeps the rate strict. */
  burst?: number;
}

type Waiter = { resolve: (waitMs: number) => void; reject: (err: unknown) => void };

/**
 * The rate shared by every worker of the deployment. Takes that arrive
 * together (records of a batch, side by side) are booked in one Redis call,
 * each its own slot `interval` apart: the pace is the same, the round trips
 * are fewer.
 */
export function createRedisRateLimiter(redis: RedisClient, opts: RedisRateLimiterOptions): RateLimiter {
  const interval = 1000 / opts.ratePerSec;
  const burst = opts.burst ?? 1;
  const tau = interval * (burst - 1);
  let waiting: Waiter[] = [];

  async function book() {
    const batch = waiting;
    waiting = [];
    try {
      const ahead = Number(await RESERVE(redis, [opts.key], [interval, burst, batch.length]));
      for (const [i, w] of batch.entries()) w.resolve(Math.max(0, Math.ceil(ahead + i * interval - tau)));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  return {
    async take(signal) {
      signal?.throwIfAborted();
      const wait = await new Promise<number>((resolve, reject) => {
        if (waiting.push({ resolve, reject }) === 1) setImmediate(book);
      });
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
