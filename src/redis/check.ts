import { Cluster } from 'ioredis';
import type { RedisSettings } from '../config/index.ts';
import { connectToSeed, createRedis, describeRedis, type RedisClient } from './client.ts';

export class RedisSetupError extends Error {
  readonly code = 'REDIS_UNUSABLE';
}

/** One primary as it describes itself; a field is undefined where managed Redis forbids the command. */
export interface RedisNodeFacts {
  address: string;
  /** INFO's `field: value` lines (server, persistence, replication, cluster…); empty when INFO is forbidden. */
  info: Record<string, string>;
  /** CONFIG GET maxmemory-policy. */
  policy: string | undefined;
  /** CONFIG GET save: the RDB snapshot schedule, `''` when snapshots are off. */
  save: string | undefined;
}

export interface RedisFacts {
  /** Where Redis is, for messages (no password). */
  where: string;
  mode: RedisSettings['mode'];
  primaries: RedisNodeFacts[];
  /** On Cluster: the slot every key of the prefix hashes to, and the primary serving it. */
  slot: { slot: number; primary: string | undefined } | undefined;
}

/**
 * Start-up check: Redis answers (through the sentinels, or the cluster's
 * seeds), and no primary will evict queue keys under memory pressure (an
 * evicted job is a silently lost record).
 */
export async function checkRedis(settings: RedisSettings): Promise<void> {
  const [problem] = setupProblems(await inspectRedis(settings));
  if (problem) throw new RedisSetupError(problem.message);
}

/** What stops a process at start-up: a Cluster node or replica behind REDIS_URL, a primary that evicts. */
export function setupProblems(facts: RedisFacts): { check: 'shape' | 'eviction'; message: string }[] {
  const problems: { check: 'shape' | 'eviction'; message: string }[] = [];
  const { where } = facts;
  const [first] = facts.primaries;
  // A Cluster node or a replica behind REDIS_URL would fail every write later (MOVED, READONLY): say so now.
  if (facts.mode !== 'cluster' && first?.info.cluster_enabled === '1')
    problems.push({
      check: 'shape',
      message: `Redis at ${where} is a node of a Redis Cluster: set REDIS_CLUSTER_NODES=host:port[,host:port…] instead.`,
    });
  else if (facts.mode !== 'cluster' && first?.info.role === 'slave')
    problems.push({
      check: 'shape',
      message: `Redis at ${where} is a read-only replica: point REDIS_URL at the primary, or set REDIS_SENTINELS so the sentinels name it.`,
    });
  for (const node of facts.primaries.filter(evicts)) {
    problems.push({
      check: 'eviction',
      message:
        `Redis at ${where} has maxmemory-policy "${node.policy}": queued jobs could be evicted. ` +
        'Set it to noeviction (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction).',
    });
  }
  return problems;
}

/** A primary that may drop keys under memory pressure (unknown where CONFIG is forbidden: not counted). */
export const evicts = (node: RedisNodeFacts) => node.policy !== undefined && node.policy !== 'noeviction';

/**
 * Connects once and reads what each primary says about itself, without
 * changing anything; throws RedisSetupError when Redis cannot be reached.
 * `prefix` (the deployment's, hash tag included) locates its slot on Cluster.
 */
export async function inspectRedis(settings: RedisSettings, prefix?: string): Promise<RedisFacts> {
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
    const primaries = await Promise.all(nodesOf(redis).map(describeNode));
    let slot: RedisFacts['slot'];
    if (redis instanceof Cluster && prefix !== undefined) {
      const number = Number(await redis.cluster('KEYSLOT', `${prefix}:runs`));
      slot = { slot: number, primary: redis.slots[number]?.[0] };
    }
    return { where, mode: settings.mode, primaries, slot };
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

const nodesOf = (redis: RedisClient) => (redis instanceof Cluster ? redis.nodes('master') : [redis]);

async function describeNode(node: RedisClient): Promise<RedisNodeFacts> {
  const socket = node instanceof Cluster ? undefined : node.stream;
  // INFO and CONFIG may be forbidden on managed Redis: nothing to check then.
  const info = await node.info().then(parseInfo, () => ({}));
  const setting = (name: string) =>
    node.config('GET', name).then(
      (reply) => (reply as string[])[1],
      () => undefined,
    );
  return {
    address: `${socket?.remoteAddress ?? '?'}:${socket?.remotePort ?? '?'}`,
    info,
    policy: await setting('maxmemory-policy'),
    save: await setting('save'),
  };
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}
