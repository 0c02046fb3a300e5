import { createHash } from 'node:crypto';
import type { RedisClient } from './client.ts';

export type LuaScript = (
  redis: RedisClient,
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

/**
 * A Lua script sent once per server and then called by its SHA (EVALSHA), so a
 * hot path (the rate limiter, the identity locks) does not ship the script text
 * with every call. A server that does not know it yet (NOSCRIPT: a restart, a
 * failover, another cluster node) gets the text once more.
 */
export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
