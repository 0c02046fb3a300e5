import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter, type RateLimiter } from '../src/queue/index.ts';
import { createTokenBucket } from '../src/sahut/index.ts';
import { REDIS_URL, uniqueName } from './helpers/env.ts';

describe('token bucket', () => {
  it('lets the burst through at once, then no faster than the rate', async () => {
    const bucket = createTokenBucket({ ratePerSec: 50, burst: 5 });
    const started = performance.now();
    for (let i = 0; i < 5; i++) await bucket.take();
    const afterBurst = performance.now() - started;
    await Promise.all(Array.from({ length: 20 }, () => bucket.take()));
    // 20 more tokens at 50/s need at least 400 ms (minus timer granularity).
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(afterBurst).toBeLessThan(390);
  });

  it('serves waiters in call order', async () => {
    const bucket = createTokenBucket({ ratePerSec: 200, burst: 1 });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 10 }, (_, i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('is shared: two users of one bucket together stay within the rate', async () => {
    const bucket = createTokenBucket({ ratePerSec: 100, burst: 1 });
    const started = performance.now();
    const user = () => Promise.all(Array.from({ length: 10 }, () => bucket.take()));
    await Promise.all([user(), user()]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(185);
  });

  it('drops an aborted waiter without taking its token, and the next waiter moves up', async () => {
    const bucket = createTokenBucket({ ratePerSec: 20, burst: 1 });
    await bucket.take();
    const controller = new AbortController();
    const aborted = bucket.take(controller.signal);
    const next = bucket.take();
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const started = performance.now();
    await next;
    // `next` got the token `aborted` would have had: ~50 ms, not ~100 ms.
    expect(performance.now() - started).toBeLessThan(90);
    await expect(bucket.take(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('refuses nonsense settings', () => {
    expect(() => createTokenBucket({ ratePerSec: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSec: 1, burst: 0 })).toThrow(RangeError);
  });
});

describe('the rate limiter shared through Redis', () => {
  const key = `${uniqueName('rate')}:sahut-rate`;
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it('books takes that arrive together in one call, and two limiters on one key share the rate', async () => {
    let calls = 0;
    const counted = new Proxy(redis, {
      get(target, prop, receiver) {
        if (prop === 'evalsha' || prop === 'eval') calls++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const [a, b] = [0, 1].map(() => createRedisRateLimiter(counted, { key, ratePerSec: 100 }));
    const started = performance.now();
    const arrivals: number[] = [];
    const take = (l: RateLimiter) => l.take().then(() => arrivals.push(performance.now() - started));
    await Promise.all([
      ...Array.from({ length: 20 }, () => take(a as RateLimiter)),
      ...Array.from({ length: 20 }, () => take(b as RateLimiter)),
    ]);
    // 40 slots 10 ms apart: the last one ~390 ms after the first.
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    // Each limiter booked its 20 in one round trip or very few (the first one reads the script in).
    expect(calls).toBeLessThanOrEqual(6);
    // The i-th take goes out no sooner than i slots after the start. A loaded
    // event loop only makes timers late, never early (2 ms: their granularity).
    arrivals.sort((x, y) => x - y);
    for (const [i, t] of arrivals.entries()) expect(t).toBeGreaterThanOrEqual(i * 10 - 2);
  });
});
