import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHubspotHttp } from '../src/crm/hubspot/http.ts';
import { listResponseSchema, searchResponseSchema } from '../src/crm/hubspot/schemas.ts';
import { buildHubspotSandbox, CONTACTS, type HubspotSandbox } from '../src/hubspot-sandbox/index.ts';
import { createRedisWindowLimiter } from '../src/queue/index.ts';
import { redisClock } from '../src/queue/limits/redis-clock.ts';
import { seededRandom } from './helpers/chaos/schedule.ts';
import { deletePrefix, REDIS_URL, uniqueName } from './helpers/env.ts';
import { HUBSPOT_TOKEN } from './helpers/hubspot.ts';
import { peakInWindow, sustainedShare } from './helpers/hubspot-limits.ts';

const SHARE_FLOOR = Number(process.env.WINDOW_LIMIT_SHARE ?? 0.75);
/** WINDOW_LIMIT_SEED replays a seed (printed first). */
const SEED = Number(process.env.WINDOW_LIMIT_SEED ?? Math.floor(Math.random() * 2 ** 31));

let sandbox: HubspotSandbox;
let baseUrl: string;
let prefix: string;
const clients: Redis[] = [];

beforeEach(async () => {
  sandbox = await buildHubspotSandbox({ token: HUBSPOT_TOKEN });
  sandbox.seed(Array.from({ length: 50 }, (_, i) => ({ properties: { firstname: `P${i}` } })));
  baseUrl = await sandbox.listen();
  prefix = uniqueName('hs-window');
});
afterEach(async () => {
  await sandbox.close();
  await deletePrefix(prefix);
  for (const c of clients.splice(0)) await c.quit();
});

/** One worker process's worth: its own Redis connection, limiters and HTTP pool, sharing only Redis. */
function worker() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  clients.push(redis);
  return createHubspotHttp({
    baseUrl,
    token: HUBSPOT_TOKEN,
    search: createRedisWindowLimiter(redis, { key: `${prefix}:search`, max: 5, windowMs: 1000 }),
    burst: createRedisWindowLimiter(redis, { key: `${prefix}:burst`, max: 100, windowMs: 10_000 }),
    // Any 429 fails the call at once: the test counts them, it does not wait them out.
    maxRateLimitWaitMs: 0,
  });
}

describe('the Redis window limiter against the HubSpot sandbox, measured at arrival', () => {
  it("several workers' crowds of takers, on a host whose event loop stalls, never exceed either rolling window, and use most of both", async () => {
    console.log(`window limiter seed ${SEED} (WINDOW_LIMIT_SEED replays it)`);
    const random = seededRandom(SEED);
    const workers = [worker(), worker(), worker()];
    // Past the 10-second window's edge, where the second window's worth must wait for the first;
    // calls still waiting then are dropped, so the phase measured is one where takers always wait.
    const signal = AbortSignal.timeout(12_000);
    const failures: string[] = [];
    const failed = (err: Error) => {
      if (!signal.aborted) failures.push(err.message);
    };

    // A busy host: the event loop (the workers' timers and the sandbox's arrivals alike) stalls
    // for up to 120 ms at random, about a tenth of the time. Under these stalls the former pacing
    // (an even rate through Redis, at 90 % of each limit) was answered a SECONDLY 429 in each of
    // seeds 1, 2 and 3.
    let stalls = 0;
    const stall = async () => {
      while (!signal.aborted) {
        await new Promise((r) => setTimeout(r, random() * 1000));
        const end = performance.now() + random() * 120;
        while (performance.now() < end);
        stalls += 1;
      }
    };
    const searcher = async (http: (typeof workers)[number]) => {
      while (!signal.aborted) {
        await http
          .call(
            {
              method: 'POST',
              path: `${CONTACTS}/search`,
              body: { filterGroups: [], limit: 10, properties: ['firstname'] },
              schema: searchResponseSchema,
            },
            signal,
          )
          .catch(failed);
      }
    };
    const reader = async (http: (typeof workers)[number]) => {
      while (!signal.aborted) {
        await http
          .call({ method: 'GET', path: `${CONTACTS}?limit=10`, schema: listResponseSchema }, signal)
          .catch(failed);
      }
    };
    await Promise.all([
      stall(),
      ...workers.flatMap((w) => [
        ...Array.from({ length: 4 }, () => searcher(w)),
        ...Array.from({ length: 10 }, () => reader(w)),
      ]),
    ]);
    for (const w of workers) await w.close();

    const { search, other } = sandbox.limitArrivals();
    const figures = {
      searches: search.length,
      peakSearch: peakInWindow(search, 1000),
      searchShare: Number(sustainedShare(search, 5, 1000).toFixed(3)),
      reads: other.length,
      peakTenSecondly: peakInWindow(other, 10_000),
      readShare: Number(sustainedShare(other, 100, 10_000).toFixed(3)),
      stalls,
    };
    console.log(`window limiter seed ${SEED}: ${JSON.stringify(figures)}`);
    expect({ rejected: sandbox.limitCounters().rejected, failures }).toEqual({
      rejected: { TEN_SECONDLY_ROLLING: 0, SECONDLY: 0, DAILY: 0 },
      failures: [],
    });
    expect(figures.peakSearch).toBeLessThanOrEqual(5);
    expect(figures.peakTenSecondly).toBeLessThanOrEqual(100);
    // The share is a speed figure: 0.95-0.98 run alone, lower on a loaded host whose round trips
    // lengthen each slot (docs/hubspot.md). Here only a floor that a limiter holding slots far too
    // long would miss; WINDOW_LIMIT_SHARE=0.9 asks for the target.
    expect(figures.searchShare).toBeGreaterThanOrEqual(SHARE_FLOOR);
    expect(figures.readShare).toBeGreaterThanOrEqual(SHARE_FLOOR);
  }, 60_000);
});

describe("the window limiter's slots", () => {
  let redis: Redis;
  let key: string;
  beforeEach(() => {
    redis = new Redis(REDIS_URL);
    clients.push(redis);
    key = `${prefix}:slots`;
  });

  it('an aborted waiter gives its slot back at once, and the next moves up', async () => {
    const limiter = createRedisWindowLimiter(redis, { key, max: 1, windowMs: 300 });
    (await limiter.take())();
    const controller = new AbortController();
    const aborted = limiter.take(controller.signal);
    const next = limiter.take();
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const started = performance.now();
    (await next)();
    // A slot kept by the aborted waiter would be held for its 60-s lease.
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(limiter.take(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('a waiter aborted after its slot was booked gives it back', async () => {
    const limiter = createRedisWindowLimiter(redis, { key, max: 1, windowMs: 400 });
    (await limiter.take())();
    const controller = new AbortController();
    const booked = limiter.take(controller.signal);
    // The first answered, the second booked: held by its lease until given back.
    const held = async () => [
      await redis.zcount(key, '-inf', Date.now()),
      await redis.zcount(key, Date.now() + 10_000, '+inf'),
    ];
    while ((await held()).join() !== '1,1');
    controller.abort(new Error('stop'));
    await expect(booked).rejects.toThrow('stop');
    while ((await held()).join() !== '2,0');
  });

  it('a slot its holder never gives back (a process that died mid-request) is free once its lease and a window pass', async () => {
    const opts = { key, max: 1, windowMs: 100, leaseMs: 300 };
    await createRedisWindowLimiter(redis, opts).take();
    const started = performance.now();
    (await createRedisWindowLimiter(redis, opts).take())();
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("a crowd of one process's waiters asks Redis about twice per slot, not once per waiter per slot", async () => {
    let calls = 0;
    const counted = new Proxy(redis, {
      get(target, prop, receiver) {
        if (prop === 'evalsha' || prop === 'eval') calls++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const limiter = createRedisWindowLimiter(counted, { key, max: 2, windowMs: 100 });
    await Promise.all(Array.from({ length: 10 }, () => limiter.take().then((release) => release())));
    // 10 takes, 10 releases, and one refusal per slot that had to wait.
    expect(calls).toBeLessThanOrEqual(30);
  });

  it('refuses nonsense settings', () => {
    expect(() => createRedisWindowLimiter(redis, { key, max: 0, windowMs: 1000 })).toThrow(RangeError);
    expect(() => createRedisWindowLimiter(redis, { key, max: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe("a process's bounds on Redis's clock", () => {
  it("hold on both sides: Redis's clock never reads past the upper one, and is past a time once the lower one says so", async () => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    const clock = redisClock();
    const redisNow = async () => {
      const [s, us] = await redis.time();
      return Number(s) * 1000 + Number(us) / 1000;
    };
    expect(clock.atMost()).toBeUndefined();
    for (let i = 0; i < 20; i++) {
      const sentAt = clock.now();
      const time = await redisNow();
      clock.add(sentAt, time, clock.now());
      // Read before the bound is computed: the bound, for a later moment, cannot be below it.
      const read = await redisNow();
      expect(clock.atMost()).toBeGreaterThanOrEqual(read);
      const target = read + 5;
      const goAt = clock.localWhenPast(target) as number;
      while (clock.now() < goAt);
      expect(await redisNow()).toBeGreaterThanOrEqual(target);
    }
  });
});
