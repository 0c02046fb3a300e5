import { randomUUID } from 'node:crypto';
import { luaScript, type RedisClient } from '../../redis/index.ts';

/** Ends a request's hold on its slot: call it once the answer's headers, or its failure, came back. */
export type Release = () => void;

/** Hands out the slots of a rolling-window limit shared by every process. */
export interface WindowLimiter {
  take(signal?: AbortSignal): Promise<Release>;
}

// A sliding log of the last `max` requests, as a sorted set: member = the request, score = when
// its answer came back (Redis TIME), or, while it is in flight, when its lease runs out. A take
// is admitted only when fewer than `max` requests ended in the last `window`: a server counts a
// request somewhere between its sending and its answer, so a request admitted `window` after the
// answer of the one `max` before it arrives at least `window` after it, however late timers fire,
// however the pool or the network bunches requests. Stamping take times instead leaves that
// jitter to a margin, which a busy host overruns (HubSpot's search window is one second).
// A refused take learns how long until the oldest counted request leaves the window; one still
// in flight leaves it no sooner than `window` from now.
const TAKE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < max then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(lease + window + 1000))
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')
return tostring(math.max(1, math.min(tonumber(oldest[2]), now) + window - now))`);

// Moves the request's score down to now: never up, so a lease that ran out keeps its bound.
const RELEASE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
redis.call('ZADD', KEYS[1], 'XX', 'LT', now, ARGV[1])
return 1`);

export interface RedisWindowLimiterOptions {
  key: string;
  /** Requests allowed in any rolling window. */
  max: number;
  windowMs: number;
  /**
   * Longest a request may hold its slot without releasing it (a process that died mid-request);
   * it should exceed the requests' own timeouts. Default 60 s.
   */
  leaseMs?: number;
}

type Waiter = {
  signal: AbortSignal | undefined;
  resolve: (release: Release) => void;
  reject: (err: unknown) => void;
};

/**
 * A rolling-window limit shared by every process through Redis, counted from each request's
 * answer. Takers of one process queue in order and only the first asks Redis, so a crowd of
 * waiters costs one call per slot, not one per waiter.
 */
export function createRedisWindowLimiter(redis: RedisClient, opts: RedisWindowLimiterOptions): WindowLimiter {
  if (!(opts.max >= 1) || !(opts.windowMs > 0))
    throw new RangeError('window limiter: max ≥ 1 and windowMs > 0');
  const keys = [opts.key];
  const lease = opts.leaseMs ?? 60_000;
  const queue: Waiter[] = [];
  let pumping = false;

  const releaser = (id: string): Release => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      // A lost release only keeps the slot until its lease runs out: slower, never over the limit.
      RELEASE(redis, keys, [id]).catch(() => {});
    };
  };

  async function pump() {
    pumping = true;
    try {
      for (let head = queue[0]; head !== undefined; head = queue[0]) {
        const id = randomUUID();
        let wait: number;
        try {
          wait = Number(await TAKE(redis, keys, [opts.max, opts.windowMs, lease, id]));
        } catch (err) {
          if (queue[0] === head) queue.shift();
          head.reject(err);
          continue;
        }
        if (wait > 0) {
          await sleep(Math.ceil(wait), head.signal);
          continue;
        }
        const release = releaser(id);
        // Aborted while Redis answered: it left the queue, the slot goes back.
        if (queue[0] !== head) release();
        else {
          queue.shift();
          head.resolve(release);
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    take(signal) {
      signal?.throwIfAborted();
      return new Promise<Release>((resolve, reject) => {
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at < 0) return;
          queue.splice(at, 1);
          settled();
          reject(signal?.reason);
        };
        // Runs keep one signal for thousands of requests: each waiter takes its listener away.
        const settled = () => signal?.removeEventListener('abort', onAbort);
        const waiter: Waiter = {
          signal,
          resolve: (release) => {
            settled();
            resolve(release);
          },
          reject: (err) => {
            settled();
            reject(err);
          },
        };
        queue.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!pumping) void pump();
      });
    },
  };
}

/** Resolves after `ms`, or at once when the signal aborts (the pump then serves the next waiter). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
