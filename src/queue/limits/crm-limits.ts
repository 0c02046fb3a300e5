import { z } from 'zod';
import type { DailyLimitSeen } from '../../crm/index.ts';
import type { Logger } from '../../log/index.ts';
import type { RedisClient } from '../../redis/index.ts';

const dailySchema = z.object({ daily: z.number(), remaining: z.number(), at: z.number() });
const keyOf = (prefix: string) => `${prefix}:crm-daily`;
// Every answer carries the figure; the health page needs it a few times a minute at most.
const EVERY_MS = 2000;

/**
 * Keeps the CRM's daily API budget as its last answer reported it, per connection, in Redis,
 * where the health page of `serve` (another process) reads it.
 */
export function dailyRecorder(redis: RedisClient, prefix: string, connection: string, log: Logger) {
  let last = 0;
  return (seen: DailyLimitSeen) => {
    if (seen.at - last < EVERY_MS) return;
    last = seen.at;
    redis
      .hset(keyOf(prefix), connection, JSON.stringify(seen))
      .catch((err: unknown) => log.warn({ err, connection }, 'could not record the CRM daily API budget'));
  };
}

/** The daily budget each connection last saw; an unreadable entry is left out. */
export async function readDailyLimits(
  redis: RedisClient,
  prefix: string,
): Promise<Map<string, DailyLimitSeen>> {
  const all = await redis.hgetall(keyOf(prefix));
  const out = new Map<string, DailyLimitSeen>();
  for (const [connection, text] of Object.entries(all)) {
    try {
      const parsed = dailySchema.safeParse(JSON.parse(text));
      if (parsed.success) out.set(connection, parsed.data);
    } catch {
      // not ours: skip
    }
  }
  return out;
}
