import { luaScript, type RedisClient } from '../redis/index.ts';
import type { CallKind } from '../sahut/index.ts';

/** Takes one request slot, waiting as long as the shared rate requires. */
export interface RateLimiter {
  take(signal?: AbortSignal, kind?: CallKind): Promise<void>;
}

// GCRA with reservation: each call books the next `n` slots and returns how far
// ahead of now the first one lies, so every process sharing the key stays under
// one rate in total. Redis TIME is the clock, so hosts with skewed clocks agree.
// Writes also mark KEYS[2] for as long as they have slots booked ahead (and a second more):
// while it stands, writes are waiting for the rate, and scans keep to their share.
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
if ARGV[4] == 'write' then redis.call('SET', KEYS[2], '1', 'PX', math.ceil(nextTat - now + 1000)) end
return tostring(tat - now)`);

// The scans' own pace while writes wait (KEYS[2] stands): `n` slots `interval` apart on KEYS[1].
// With no write waiting it lets scans through at once (they then take the shared rate's slots).
const SCAN_GATE = luaScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return '0' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + interval * n
redis.call('SET', KEYS[1], tostring(nextTat), 'PX', math.ceil(nextTat - now + 1000))
return tostring(tat - now)`);

export interface RedisRateLimiterOptions {
  key: string;
  ratePerSec: number;
  /** Requests allowed back to back after an idle spell; 1 keeps the rate strict. */
  burst?: number;
  /**
   * The share of the rate (0…1] that scan pages may take while record writes wait for it
   * (SCAN_RATE_SHARE); a scan alone takes the whole rate. 1: no share kept for writes.
   */
  scanShare?: number;
}

/**
 * The rate shared by every worker of the deployment. Takes that arrive
 * together (records of a batch, side by side) are booked in one Redis call,
 * each its own slot `interval` apart: the pace is the same, the round trips
 * are fewer.
 *
 * A scan page first passes the scans' own gate, paced at `scanShare` of the
 * rate while writes have slots booked, then books a slot like any call: scans
 * arrive at no more than their share, and writes have the rest.
 */
export function createRedisRateLimiter(redis: RedisClient, opts: RedisRateLimiterOptions): RateLimiter {
  const interval = 1000 / opts.ratePerSec;
  const burst = opts.burst ?? 1;
  const share = opts.scanShare ?? 1;
  const keys = [opts.key, `${opts.key}:writes-waiting`];
  const scanKeys = [`${opts.key}:scans`, keys[1] as string];
  const tau = interval * (burst - 1);
  const write = booker((n) => RESERVE(redis, keys, [interval, burst, n, 'write']), interval, tau);
  const scan = booker((n) => RESERVE(redis, keys, [interval, burst, n, 'scan']), interval, tau);
  const scanGate = booker((n) => SCAN_GATE(redis, scanKeys, [interval / share, n]), interval / share, 0);

  return {
    async take(signal, kind = 'write') {
      signal?.throwIfAborted();
      if (kind === 'scan' && share < 1) await sleep(await scanGate(), signal);
      await sleep(await (kind === 'scan' ? scan : write)(), signal);
    },
  };
}

type Waiter = { resolve: (waitMs: number) => void; reject: (err: unknown) => void };

/** Gathers the takes of one turn of the event loop into one booking of that many slots. */
function booker(reserve: (n: number) => Promise<unknown>, interval: number, tau: number) {
  let waiting: Waiter[] = [];
  async function book() {
    const batch = waiting;
    waiting = [];
    try {
      const ahead = Number(await reserve(batch.length));
      for (const [i, w] of batch.entries()) w.resolve(Math.max(0, Math.ceil(ahead + i * interval - tau)));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
  return () =>
    new Promise<number>((resolve, reject) => {
      if (waiting.push({ resolve, reject }) === 1) setImmediate(book);
    });
}

function sleep(ms: number, signal?: AbortSignal) {
  if (ms <= 0) return Promise.resolve();
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
