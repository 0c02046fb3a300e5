import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { luaScript, type RedisClient } from '../../redis/index.ts';
import type { IdentityLocks } from '../../sync/apply/ports.ts';

export class LockTimeoutError extends Error {
  readonly code = 'LOCK_TIMEOUT';
}

// All keys or none, so two records sharing a phone and an email cannot deadlock.
const ACQUIRE = luaScript(`
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
end
return 1`);
const RELEASE = luaScript(`
local released = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then released = released + redis.call('DEL', key) end
end
return released`);

// Extends the locks' life while the holder works: a slow Sahut never lets them lapse under a live holder.
const RENEW = luaScript(`
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 1`);

// Several records' keys at once: each group (ARGV[3..], its size) all or none, as ACQUIRE takes it.
const ACQUIRE_GROUPS = luaScript(`
local got = {}
local at = 1
for g = 3, #ARGV do
  local n = tonumber(ARGV[g])
  local free = true
  for i = at, at + n - 1 do
    if redis.call('EXISTS', KEYS[i]) == 1 then free = false; break end
  end
  if free then
    for i = at, at + n - 1 do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
  end
  got[#got + 1] = free and 1 or 0
  at = at + n
end
return got`);

/**
 * The identity locks of a batch of records, taken in one Redis call (the
 * groups must not share a key): whether each group was taken. Held under one
 * token, so they are renewed and released together (`renewLocks`, `releaseLocks`).
 */
export async function acquireGroups(
  redis: RedisClient,
  groups: readonly (readonly string[])[],
  token: string,
  ttlMs: number,
): Promise<boolean[]> {
  const got = await ACQUIRE_GROUPS(redis, groups.flat(), [token, ttlMs, ...groups.map((g) => g.length)]);
  return z
    .array(z.number())
    .parse(got)
    .map((g) => g === 1);
}

export const renewLocks = (redis: RedisClient, keys: readonly string[], token: string, ttlMs: number) =>
  RENEW(redis, keys, [token, ttlMs]);

export const releaseLocks = (redis: RedisClient, keys: readonly string[], token: string) =>
  RELEASE(redis, keys, [token]);

/** The Redis key of an identity lock: hashed, so phones and emails do not show up as key names. */
export const lockKey = (prefix: string, key: string) => `${prefix}:lock:${sha1(key)}`;

export interface RedisLockOptions {
  prefix: string;
  /** A crashed holder's lock expires after this; a live holder renews it every third of it. */
  ttlMs?: number;
  /** How long to wait for a busy identity before giving up (the job is then retried). */
  waitMs?: number;
}

/** Identity locks in Redis, shared by every worker of the deployment. */
export function createRedisLocks(redis: RedisClient, opts: RedisLockOptions): IdentityLocks {
  const ttlMs = opts.ttlMs ?? 60_000;
  const waitMs = opts.waitMs ?? 30_000;
  return {
    async withLocks(keys, fn, signal) {
      if (keys.length === 0) return fn();
      // Hashed, so phones and emails do not show up as Redis key names.
      const redisKeys = [...new Set(keys)].sort().map((k) => lockKey(opts.prefix, k));
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
        const got = await ACQUIRE(redis, redisKeys, [token, ttlMs]);
        if (got === 1) break;
        if (Date.now() > deadline)
          throw new LockTimeoutError(`identity busy for ${waitMs} ms: ${keys.join(', ')}`);
        signal?.throwIfAborted();
        await new Promise((r) => setTimeout(r, delay));
      }
      const renew = setInterval(() => {
        RENEW(redis, redisKeys, [token, ttlMs]).catch(() => {});
      }, ttlMs / 3);
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        await RELEASE(redis, redisKeys, [token]);
      }
    },
  };
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
