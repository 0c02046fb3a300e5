import { Cluster } from 'ioredis';
import type { RedisClient } from './client.ts';

/**
 * Deletes every key under `prefix`, on every primary. On Cluster they all
 * share the prefix's hash tag, hence one slot, so one DEL may take many.
 */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
