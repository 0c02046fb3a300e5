import { createHash, randomUUID } from 'node:crypto';
import { luaScript, type RedisClient } from '../redis/index.ts';
import type { IdentityLocks } from '../sync/apply/ports.ts';

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
      const redisKeys = [...new Set(keys)].sort().map((k) => `${opts.prefix}:lock:${sha1(k)}`);
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
