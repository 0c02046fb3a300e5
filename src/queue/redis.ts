import { Redis, type RedisOptions } from 'ioredis';

export class RedisSetupError extends Error {
  readonly code = 'REDIS_UNUSABLE';
}

/**
 * A connection as BullMQ workers require it (`maxRetriesPerRequest: null`).
 * Producers that should fail fast instead pass `{ enableOfflineQueue: false }`.
 */
export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, ...extra });
}

/**
 * Start-up check: Redis answers, and it will not evict queue keys under memory
 * pressure (an evicted job is a silently lost record).
 */
export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  const where = redactUrl(url);
  try {
    await redis.connect();
  } catch (err) {
    throw new RedisSetupError(`Redis is unreachable at ${where} (REDIS_URL): ${(err as Error).message}`);
  }
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      throw new RedisSetupError(
        `Redis at ${where} has maxmemory-policy "${policy}": queued jobs could be evicted. ` +
          'Set it to noeviction (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction).',
      );
    }
  } catch (err) {
    // Managed Redis often forbids CONFIG; the policy cannot be checked there, so say nothing.
    if (err instanceof RedisSetupError) throw err;
  } finally {
    redis.disconnect();
  }
}

export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
