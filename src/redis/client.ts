import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/index.ts';
import { DiscoveringCluster, type DiscoveringClusterOptions } from './cluster.ts';

/** A connection to any of the supported shapes; Sentinel is a `Redis` that asks the sentinels where the primary is. */
export type RedisClient = Redis | Cluster;

/**
 * - `work`: queues, workers, locks, the rate limiter, the run guard, the scheduler.
 *   Commands wait through a reconnect or a failover (`maxRetriesPerRequest: null`,
 *   offline queue on), as BullMQ workers require.
 * - `serve`: the dashboard. While Redis is away a command fails at once
 *   (no offline queue), so a page or a probe answers instead of hanging.
 * - `check`: the start-up check: one attempt, no reconnection.
 */
export type RedisRole = 'work' | 'serve' | 'check';

const CONNECT_TIMEOUT_MS = 5_000;

// Reconnect for ever, backing off to one attempt every 2 s: a failover takes seconds, an outage may take longer.
const reconnectDelay = (times: number) => Math.min(200 * times, 2_000);

// After a failover, a connection still reaching the demoted primary gets READONLY:
// reconnect (asking the sentinels again) and resend the command.
const reconnectOnError = (err: Error) => (err.message.startsWith('READONLY') ? 2 : false);

function nodeOptions(role: RedisRole): RedisOptions {
  if (role === 'check') {
    return {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    };
  }
  return {
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
    reconnectOnError,
    ...(role === 'work'
      ? // Commands issued in the same tick leave in one write: the hot path's limiter and lock calls
        // from records processed side by side cost one syscall, not one each.
        {
          lazyConnect: true,
          maxRetriesPerRequest: null,
          enableOfflineQueue: true,
          enableAutoPipelining: true,
        }
      : { maxRetriesPerRequest: 0, enableOfflineQueue: false }),
  };
}

/** The one place that builds Redis connections: every client of the deployment comes from here. */
export function createRedis(settings: RedisSettings, role: RedisRole = 'work'): RedisClient {
  const options = nodeOptions(role);
  if (settings.mode === 'single') return new Redis(settings.url, options);
  const tls = settings.tls ? {} : undefined;
  const auth = { username: settings.username, password: settings.password };
  if (settings.mode === 'sentinel') {
    return new Redis({
      ...options,
      ...auth,
      sentinels: settings.sentinels,
      name: settings.master,
      sentinelPassword: settings.sentinelPassword,
      natMap: settings.natMap,
      tls,
      enableTLSForSentinelMode: settings.tls,
      sentinelTLS: tls,
      ...(role === 'check' ? { sentinelRetryStrategy: () => null } : {}),
    });
  }
  // No reply mapping: replies keep the shapes the code expects (RESP2's).
  const { retryStrategy, enableOfflineQueue, lazyConnect, replyMapping: _, ...perNode } = options;
  const cluster: DiscoveringClusterOptions = {
    clusterRetryStrategy: retryStrategy ?? null,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    natMap: settings.natMap,
    // With TLS, connect to the names the nodes announce, so their certificates match.
    ...(settings.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    redisOptions: { ...perNode, ...auth, tls },
  };
  return new DiscoveringCluster(settings.nodes, cluster);
}

/**
 * A plain connection to the first seed of a cluster, with the cluster's TLS
 * and credentials: when the cluster cannot connect, its own error only says
 * "None of startup nodes is available", while this one says why.
 */
export function connectToSeed(settings: Extract<RedisSettings, { mode: 'cluster' }>): Redis {
  const [seed] = settings.nodes;
  return new Redis({
    ...nodeOptions('check'),
    ...seed,
    username: settings.username,
    password: settings.password,
    tls: settings.tls ? {} : undefined,
  });
}

/** Where Redis is, for messages: no password, and the settings to fix. */
export function describeRedis(settings: RedisSettings): string {
  const list = (nodes: readonly { host: string; port: number }[]) =>
    nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  switch (settings.mode) {
    case 'single':
      return `${redactUrl(settings.url)} (REDIS_URL)`;
    case 'sentinel':
      return `primary "${settings.master}" of the sentinels ${list(settings.sentinels)} (REDIS_SENTINELS, REDIS_SENTINEL_MASTER)`;
    case 'cluster':
      return `the cluster of ${list(settings.nodes)} (REDIS_CLUSTER_NODES)`;
  }
}

export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
