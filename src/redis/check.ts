import { Cluster } from 'ioredis';
import type { RedisSettings } from '../config/index.ts';
import { connectToSeed, createRedis, describeRedis, type RedisClient } from './client.ts';

export class RedisSetupError extends Error {
  readonly code = 'REDIS_UNUSABLE';
}

/**
 * Start-up check: Redis answers (through the sentinels, or the cluster's
 * seeds), and no primary will evict queue keys under memory pressure (an
 * evicted job is a silently lost record).
 */
export async function checkRedis(settings: RedisSettings): Promise<void> {
  const redis = createRedis(settings, 'check');
  redis.on('error', () => {});
  const where = describeRedis(settings);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const seed = settings.mode === 'cluster' ? await seedError(settings) : undefined;
    const why = [(err as Error).message, seed].filter(Boolean).join(': ');
    throw new RedisSetupError(`Redis is unreachable at ${where}: ${why}`);
  }
  try {
    if (!(redis instanceof Cluster)) await refuseWrongShape(redis, where);
    for (const node of primaries(redis)) {
      const policy = await evictionPolicy(node);
      if (policy && policy !== 'noeviction') {
        throw new RedisSetupError(
          `Redis at ${where} has maxmemory-policy "${policy}": queued jobs could be evicted. ` +
            'Set it to noeviction (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction).',
        );
      }
    }
  } finally {
    redis.disconnect();
  }
}

/** Why the first seed refuses us (a certificate, a password), in the words of its connection. */
async function seedError(settings: Extract<RedisSettings, { mode: 'cluster' }>): Promise<string | undefined> {
  const probe = connectToSeed(settings);
  let reason: string | undefined;
  probe.on('error', (err: Error) => {
    reason ??= err.message;
  });
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (err) {
    return reason ?? (err as Error).message;
  } finally {
    probe.disconnect();
  }
}

/** A Cluster node or a replica behind REDIS_URL would fail every write later (MOVED, READONLY): say so now. */
async function refuseWrongShape(redis: RedisClient, where: string): Promise<void> {
  const info = await Promise.all([redis.info('cluster'), redis.info('replication')]).then(
    (parts) => parts.join('\n'),
    () => '', // INFO may be forbidden on managed Redis: nothing to check then.
  );
  if (/^cluster_enabled:1/m.test(info)) {
    throw new RedisSetupError(
      `Redis at ${where} is a node of a Redis Cluster: set REDIS_CLUSTER_NODES=host:port[,host:port…] instead.`,
    );
  }
  if (/^role:slave/m.test(info)) {
    throw new RedisSetupError(
      `Redis at ${where} is a read-only replica: point REDIS_URL at the primary, or set REDIS_SENTINELS so the sentinels name it.`,
    );
  }
}

const primaries = (redis: RedisClient) => (redis instanceof Cluster ? redis.nodes('master') : [redis]);

async function evictionPolicy(node: RedisClient): Promise<string | undefined> {
  try {
    const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
    return reply[1];
  } catch {
    // Managed Redis often forbids CONFIG; the policy cannot be checked there, so say nothing.
    return undefined;
  }
}
