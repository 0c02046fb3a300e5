import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../src/queue/index.ts';
import { createSahutClient } from '../src/sahut/index.ts';
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts';
import { REDIS_URL, uniqueName } from './helpers/env.ts';

const API_KEY = 'sk_test_scan_share';
const RATE = 50;
const SHARE = 0.2;

/**
 * SCAN_RATE_SHARE: scan pages take at most their share of the shared rate while record writes
 * wait for it, and all of it alone. Counted by kind at the sandbox, over real HTTP and Redis.
 */
describe('the scan share of the rate limit', () => {
  let redis: Redis;
  let sandbox: Sandbox;
  let baseUrl = '';
  const keys: string[] = [];
  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    ({ sandbox, baseUrl } = await startSandbox({ apiKey: API_KEY }));
    sandbox.seed(
      Array.from({ length: 2000 }, (_, i) => ({ name: `Seeded ${i}`, email: `seeded${i}@example.com` })),
    );
  });
  afterAll(async () => {
    for (const key of keys)
      await redis.del(key, `${key}:writes-waiting`, `${key}:scans`, `${key}:scans-beside`);
    redis.disconnect();
    await sandbox.close();
  });

  const client = () => {
    const key = `${uniqueName('scan-share')}:sahut-rate`;
    keys.push(key);
    const rateLimiter = createRedisRateLimiter(redis, { key, ratePerSec: RATE, scanShare: SHARE });
    return createSahutClient({ baseUrl, apiKey: API_KEY, rateLimiter, connections: 64 });
  };
  const scanner = (sahut: ReturnType<typeof client>, stop: () => boolean) => async () => {
    for (let page = 1; !stop(); page = (page % 20) + 1) await sahut.list({ page, perPage: 100 });
  };
  const waitFor = async (what: string, done: () => boolean) => {
    for (const deadline = Date.now() + 60_000; !done(); await delay(20))
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  };

  it('keeps scans to their share while writes wait, and gives writes the rest', async () => {
    const sahut = client();
    let stopped = false;
    const stop = () => stopped;
    let n = 0;
    // Twenty records in flight, each writing as soon as the last write is done: writes always wait.
    const writer = async () => {
      while (!stopped) await sahut.create({ name: `Writer ${n++}`, email: `writer${n}@example.com` });
    };
    const writers = Array.from({ length: 20 }, writer);
    await waitFor('the first writes', () => (sandbox.counts()['POST /contacts'] ?? 0) >= 5);
    sandbox.resetCounts();
    // A scan reading as many pages side by side as there are writes in flight (the scan index reads
    // up to a worker's records in flight): unpaced, it would take half the rate.
    const scans = Array.from({ length: 20 }, scanner(sahut, stop));
    await waitFor(
      '150 calls',
      () => (sandbox.counts()['GET /contacts'] ?? 0) + (sandbox.counts()['POST /contacts'] ?? 0) >= 150,
    );
    // Counted now: the calls already granted that drain after the stop are half scans, half writes.
    const list = sandbox.counts()['GET /contacts'] ?? 0;
    const post = sandbox.counts()['POST /contacts'] ?? 0;
    stopped = true;
    await Promise.all([...writers, ...scans]);
    console.log(
      `scan share: ${list} list calls and ${post} POSTs (${((100 * list) / (list + post)).toFixed(1)} % scans)`,
    );
    // The first scan passes the gate at once: a few either way.
    expect(list).toBeLessThanOrEqual(Math.ceil(SHARE * (list + post)) + 4);
    expect(list).toBeGreaterThan(0);
    expect(post).toBeGreaterThan(list);
  });

  it('gives a scan reading one page at a time its share beside writes, not what the writes leave', async () => {
    const sahut = client();
    let stopped = false;
    let n = 0;
    const writers = Array.from({ length: 20 }, async () => {
      while (!stopped) await sahut.create({ name: `Queued ${n++}`, email: `queued${n}@example.com` });
    });
    await waitFor('the first writes', () => (sandbox.counts()['POST /contacts'] ?? 0) >= 5);
    sandbox.resetCounts();
    const scan = scanner(sahut, () => stopped)();
    await waitFor(
      '150 calls',
      () => (sandbox.counts()['GET /contacts'] ?? 0) + (sandbox.counts()['POST /contacts'] ?? 0) >= 150,
    );
    const list = sandbox.counts()['GET /contacts'] ?? 0;
    const post = sandbox.counts()['POST /contacts'] ?? 0;
    stopped = true;
    await Promise.all([...writers, scan]);
    // In a lane of its own it waits for its own slots only: behind the twenty writes booked
    // ahead of it, it would get one page per round of them (under 5 %).
    expect(list).toBeGreaterThanOrEqual(Math.floor(0.5 * SHARE * (list + post)));
    expect(list).toBeLessThanOrEqual(Math.ceil(SHARE * (list + post)) + 4);
  });

  it('lets a scan alone use the whole rate', async () => {
    const sahut = client();
    sandbox.resetCounts();
    const started = performance.now();
    let pages = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (pages < 100) {
          pages += 1;
          await sahut.list({ page: (pages % 20) + 1, perPage: 100 });
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(sandbox.counts()['GET /contacts']).toBe(100);
    // 100 pages take 2 s at the whole rate and 10 s at its share: well under the latter, however loaded.
    expect(seconds).toBeLessThan((0.7 * 100) / (SHARE * RATE));
  });
});
