import { z } from 'zod';
import { luaScript, type RedisClient } from '../../redis/index.ts';
import type { CallKind } from '../../sahut/index.ts';

/** Takes one request slot, waiting as long as the shared rate requires. */
export interface RateLimiter {
  take(signal?: AbortSignal, kind?: CallKind): Promise<void>;
}

// GCRA with reservation: each call books the next `n` slots and returns how far
// ahead of now the first one lies and how far apart they are, so every process sharing
// the key stays under one rate in total. Redis TIME is the clock, so hosts with skewed
// clocks agree.
//
// Two lanes share the rate. KEYS[1] books every call, unless scans run beside waiting writes:
// then scans book KEYS[2] at `share` of the rate and writes KEYS[1] at the rest, so a scan
// reading one page at a time waits for its own lane, not behind every write booked ahead.
// KEYS[3] stands while writes have slots booked (and a second more): writes are waiting.
// KEYS[4] stands while scans have slots booked in their lane (and a second more).
// A lane taken up starts after what the other booked at the whole rate: never above the rate.
const RESERVE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tau = interval * (tonumber(ARGV[2]) - 1)
local n = tonumber(ARGV[3])
local kind = ARGV[4]
local share = tonumber(ARGV[5])
local lane = KEYS[1]
local step = interval
local floor = now
if kind == 'scan' and share < 1 and redis.call('EXISTS', KEYS[3]) == 1 then
  lane = KEYS[2]
  step = interval / share
  tau = 0
  if redis.call('EXISTS', KEYS[4]) == 0 then floor = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0')) end
elseif kind == 'scan' then
  floor = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
elseif redis.call('EXISTS', KEYS[4]) == 1 then
  step = interval / (1 - share)
end
local tat = tonumber(redis.call('GET', lane) or '0')
if tat < floor then tat = floor end
local nextTat = tat + step * n
redis.call('SET', lane, tostring(nextTat), 'PX', math.ceil(nextTat - now + tau + 1000))
if lane == KEYS[2] then redis.call('SET', KEYS[4], '1', 'PX', math.ceil(nextTat - now + 1000)) end
if kind == 'write' then redis.call('SET', KEYS[3], '1', 'PX', math.ceil(nextTat - now + 1000)) end
return {tostring(tat - now), tostring(step), tostring(tau)}`);

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
 * each its own slot: the pace is the same, the round trips are fewer.
 *
 * Scan pages (`kind` scan) take at most `scanShare` of the rate while record
 * writes wait for it, in a lane of their own; alone, they take all of it.
 */
export function createRedisRateLimiter(redis: RedisClient, opts: RedisRateLimiterOptions): RateLimiter {
  const interval = 1000 / opts.ratePerSec;
  const burst = opts.burst ?? 1;
  const share = opts.scanShare ?? 1;
  const keys = [opts.key, `${opts.key}:scans`, `${opts.key}:writes-waiting`, `${opts.key}:scans-beside`];
  const reserve = (kind: CallKind) => async (n: number) =>
    bookingSchema.parse(await RESERVE(redis, keys, [interval, burst, n, kind, share])).map(Number) as Booking;
  const write = booker(reserve('write'));
  const scan = booker(reserve('scan'));
  return {
    async take(signal, kind = 'write') {
      signal?.throwIfAborted();
      await sleep(await (kind === 'scan' ? scan : write)(), signal);
    },
  };
}

type Booking = [ahead: number, step: number, tau: number];
const bookingSchema = z.tuple([z.string(), z.string(), z.string()]);
type Waiter = { resolve: (waitMs: number) => void; reject: (err: unknown) => void };

/** Gathers the takes of one turn of the event loop into one booking of that many slots. */
function booker(reserve: (n: number) => Promise<Booking>) {
  let waiting: Waiter[] = [];
  async function book() {
    const batch = waiting;
    waiting = [];
    try {
      const [ahead, step, tau] = await reserve(batch.length);
      for (const [i, w] of batch.entries()) w.resolve(Math.max(0, Math.ceil(ahead + i * step - tau)));
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
