import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { luaScript, type RedisClient } from '../../redis/index.ts';
import { redisClock } from './redis-clock.ts';

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
//
// A take that must wait for a request already answered books the slot it will have, `window`
// after that answer ('at'), so it goes at its time without asking again; one that waits for a
// request still in flight learns only that it will not be free for a window ('wait').
//
// Both ends are read on Redis's clock without waiting on Redis, which a loaded host answers late:
// an answer's end is stamped with the latest time Redis's clock can show when it came back, and a
// booked request leaves once Redis's clock is surely past its slot (see redis-clock.ts).
const TAKE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local ttl = math.ceil(lease + 2 * window + 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < max then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {'go', tostring(now), tostring(now)}
end
local freeing = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')
local ended = tonumber(freeing[2])
if ended > now then return {'wait', tostring(now + window), tostring(now)} end
local start = ended + window
redis.call('ZADD', KEYS[1], start + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
return {'at', tostring(start), tostring(now)}`);
const takeSchema = z.tuple([z.enum(['go', 'at', 'wait']), z.coerce.number(), z.coerce.number()]);

// Moves the request's score down to when its answer came back (ARGV[2], on Redis's clock, or
// now), never up, so a lease that ran out keeps its bound. A booked slot given back unused ends
// then too: that request never reached the server.
const RELEASE = luaScript(`
local t = redis.call('TIME')
local ended = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
if ARGV[2] then ended = math.min(ended, tonumber(ARGV[2])) end
redis.call('ZADD', KEYS[1], 'XX', 'LT', ended, ARGV[1])
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

type Outcome = { release: Release } | { error: unknown };
type Waiter = {
  signal: AbortSignal | undefined;
  settle: (outcome: Outcome) => void;
  /** The slot booked for it, given back if it is aborted before its time. */
  booked?: Release;
};

/**
 * A rolling-window limit shared by every process through Redis, counted from each request's
 * answer. Takers of one process queue in order and only the first asks Redis, so a crowd of
 * waiters costs about one call per slot, not one per waiter.
 */
export function createRedisWindowLimiter(redis: RedisClient, opts: RedisWindowLimiterOptions): WindowLimiter {
  if (!(opts.max >= 1) || !(opts.windowMs > 0))
    throw new RangeError('window limiter: max ≥ 1 and windowMs > 0');
  const keys = [opts.key];
  const lease = opts.leaseMs ?? 60_000;
  const queue: Waiter[] = [];
  let pumping = false;

  const clock = redisClock();

  const releaser = (id: string): Release => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const ended = clock.atMost();
      // A lost release only keeps the slot until its lease runs out: slower, never over the limit.
      RELEASE(redis, keys, ended === undefined ? [id] : [id, ended]).catch(() => {});
    };
  };

  async function pump() {
    pumping = true;
    try {
      for (let head = queue[0]; head !== undefined; head = queue[0]) {
        const id = randomUUID();
        let verdict: 'go' | 'at' | 'wait';
        let at: number;
        let goAt: number;
        try {
          const sentAt = clock.now();
          let redisNow: number;
          [verdict, at, redisNow] = takeSchema.parse(
            await TAKE(redis, keys, [opts.max, opts.windowMs, lease, id]),
          );
          const receivedAt = clock.now();
          clock.add(sentAt, redisNow, receivedAt);
          goAt = clock.localWhenPast(at) ?? receivedAt + at - redisNow;
        } catch (err) {
          if (queue[0] === head) queue.shift();
          head.settle({ error: err });
          continue;
        }
        if (verdict === 'wait') {
          await sleep(Math.ceil(goAt - clock.now()), head.signal);
          continue;
        }
        const release = releaser(id);
        // Aborted while Redis answered: it left the queue, the slot goes back.
        if (queue[0] !== head) {
          release();
          continue;
        }
        queue.shift();
        if (verdict === 'go') head.settle({ release });
        else {
          const waiter = head;
          waiter.booked = release;
          void sleep(Math.ceil(goAt - clock.now()), waiter.signal).then(() => waiter.settle({ release }));
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<Release>((resolve, reject) => {
        let settled = false;
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          waiter.booked?.();
          waiter.settle({ error: signal?.reason });
        };
        const waiter: Waiter = {
          signal,
          settle(outcome) {
            if (settled) return;
            settled = true;
            // Runs keep one signal for thousands of requests: each waiter takes its listener away.
            signal?.removeEventListener('abort', onAbort);
            if ('release' in outcome) resolve(outcome.release);
            else reject(outcome.error);
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
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
