import { RedisConnection } from 'bullmq';
import type { Config } from '../config/index.ts';
import { evicts, inspectRedis, type RedisFacts, setupProblems } from '../redis/index.ts';
import { type Check, type Checklist, checksOf, messageOf } from './types.ts';

const FIX_UNREACHABLE = {
  single: 'check REDIS_URL (rediss:// for TLS, the password in the URL) and that this host may reach it',
  sentinel:
    'check REDIS_SENTINELS, REDIS_SENTINEL_MASTER and the passwords (REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD)',
  cluster:
    'check REDIS_CLUSTER_NODES, REDIS_PASSWORD and REDIS_TLS (a private CA goes in NODE_EXTRA_CA_CERTS)',
} as const;

/** Reachable, its shape, version, eviction policy and persistence, and on Cluster the prefix's slot. */
export async function redisChecks(config: Readonly<Config>): Promise<Check[]> {
  const list = checksOf('redis');
  const { connection, prefix } = config.redis;
  let facts: RedisFacts;
  try {
    facts = await inspectRedis(connection, prefix);
  } catch (err) {
    list.fail('reachable', messageOf(err), FIX_UNREACHABLE[connection.mode]);
    return list.checks;
  }
  list.ok('reachable', `${facts.where}: primary ${facts.primaries.map((n) => n.address).join(', ')}`);
  shape(facts, list);
  version(facts, list);
  evictionPolicy(facts, list);
  persistence(facts, list);
  if (facts.slot)
    list.ok(
      'slot',
      `every key of prefix ${prefix} hashes to slot ${facts.slot.slot}, served by ${facts.slot.primary ?? 'an unknown node'}`,
    );
  return list.checks;
}

function shape(facts: RedisFacts, { ok, fail }: Checklist) {
  const wrong = setupProblems(facts).find((p) => p.check === 'shape');
  if (wrong) fail('shape', wrong.message);
  else if (facts.mode === 'cluster') ok('shape', `a cluster of ${facts.primaries.length} primaries`);
  else ok('shape', facts.mode === 'sentinel' ? 'the primary the sentinels name' : 'a single node');
}

function version(facts: RedisFacts, { ok, warn, fail }: Checklist) {
  const versions = facts.primaries.map((n) => n.info.redis_version);
  const oldest = versions.includes(undefined) ? undefined : versions.sort(compareVersions)[0];
  const { minimumVersion, recommendedMinimumVersion } = RedisConnection;
  if (oldest === undefined)
    warn('version', 'INFO is not allowed: the version cannot be checked', 'use Redis 6.2 or later');
  else if (compareVersions(oldest, minimumVersion) < 0)
    fail('version', `Redis ${oldest}: BullMQ needs ${minimumVersion} or later`, 'upgrade Redis');
  else if (compareVersions(oldest, recommendedMinimumVersion) < 0)
    warn(
      'version',
      `Redis ${oldest}: BullMQ recommends ${recommendedMinimumVersion} or later`,
      'upgrade Redis',
    );
  else ok('version', `Redis ${oldest}`);
}

function evictionPolicy(facts: RedisFacts, { ok, warn, fail }: Checklist) {
  const evicting = facts.primaries.filter(evicts);
  if (evicting.length > 0)
    fail(
      'maxmemory-policy',
      `${evicting.map((n) => `${n.address} has "${n.policy}"`).join(', ')}: ` +
        'queued jobs could be evicted, and workers refuse to start',
      'CONFIG SET maxmemory-policy noeviction, and maxmemory-policy noeviction in redis.conf so a restart keeps it',
    );
  else if (facts.primaries.some((n) => n.policy === undefined))
    warn(
      'maxmemory-policy',
      'CONFIG is not allowed: the policy cannot be checked',
      'make sure the provider sets maxmemory-policy noeviction',
    );
  else ok('maxmemory-policy', 'noeviction');
}

/** Losing Redis loses only work in flight, which the next runs re-derive: a warning, not a failure. */
function persistence(facts: RedisFacts, { ok, warn }: Checklist) {
  const nodes = facts.primaries.map((n) => ({
    aof: n.info.aof_enabled === undefined ? undefined : n.info.aof_enabled === '1',
    rdb: n.save === undefined ? undefined : n.save.trim() !== '',
  }));
  const fix = 'appendonly yes in redis.conf (or CONFIG SET appendonly yes, then CONFIG REWRITE)';
  const lost = 'the next runs re-read them from the CRM';
  if (nodes.every((n) => n.aof === true)) ok('persistence', 'AOF on');
  else if (nodes.some((n) => n.aof === undefined))
    warn(
      'persistence',
      'INFO is not allowed: persistence cannot be checked',
      'make sure the provider persists with AOF',
    );
  else if (nodes.every((n) => n.rdb === true))
    warn(
      'persistence',
      `RDB snapshots only: a crash loses the jobs queued since the last one (${lost})`,
      fix,
    );
  else warn('persistence', `none: a restart loses the queued jobs (${lost})`, fix);
}

/** `7.0.15` against `6.2.0`, numerically. */
function compareVersions(a: string | undefined, b: string | undefined): number {
  const parts = (v: string | undefined) => (v ?? '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
