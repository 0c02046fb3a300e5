import { dirname } from 'node:path';
import { type JobsOptions, Queue } from 'bullmq';
import type { Pool as MysqlPool } from 'mysql2/promise';
import pg from 'pg';
import { createNotifier, type Notifier } from '../alerts/index.ts';
import type { Config, Connection } from '../config/index.ts';
import { ConfigError, findConnection, secretsOf } from '../config/index.ts';
import {
  type CrmConnector,
  createConnector,
  createMysqlPool,
  type MysqlSourceConfig,
  type WindowLimit,
} from '../crm/index.ts';
import type { Logger } from '../log/index.ts';
import { sourceColumns } from '../mapping/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { createRedis, type RedisClient } from '../redis/index.ts';
import { createSahutClient } from '../sahut/index.ts';
import type { SahutApi } from '../sahut/types.ts';
import type { Store } from '../store/types.ts';
import type { IdentityLocks } from '../sync/apply/ports.ts';
import { withAttentionAlerts } from './actions/alerts.ts';
import { QUEUES } from './jobs.ts';
import { createLatencyMeter, type LatencyMeter } from './limits/concurrency.ts';
import { dailyRecorder } from './limits/crm-limits.ts';
import { createRedisLocks } from './limits/locks.ts';
import { createRedisRateLimiter } from './limits/rate-limit.ts';
import { createRedisWindowLimiter } from './limits/window-limit.ts';

/** The engine paces itself at this share of SAHUT_RATE_LIMIT. */
export const RATE_HEADROOM = 0.97;

/** Everything a processor needs, built once per process and closed on shutdown. */

export interface Runtime {
  config: Readonly<Config>;
  connections: readonly Connection[];
  store: Store;
  sahut: SahutApi;
  locks: IdentityLocks;
  /** Shared by the queues, workers, locks, rate limiter and run guard; BullMQ duplicates it for blocking reads. */
  redis: RedisClient;
  queues: { runs: Queue; records: Queue; actions: Queue };
  log: Logger;
  metrics: Metrics | undefined;
  /** Sahut's answer times, which the record workers' concurrency follows (concurrency.ts). */
  sahutLatency: LatencyMeter;
  /** Webhook notifications (ALERT_WEBHOOK_URL); a no-op when none is configured. */
  alerts: Notifier;
  /** Options of every record job: bounded attempts with backoff, bounded retention. */
  recordJobOptions: JobsOptions;
  connector(name: string): CrmConnector;
  connection(name: string): Connection;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Readonly<Config>;
  connections: readonly Connection[];
  store: Store;
  log: Logger;
  metrics?: Metrics;
  /** Supplies connectors instead of building them from each connection's `source` (embedding, tests). */
  connectorFor?: (connection: Connection) => CrmConnector;
}

export function queueOptions(config: Readonly<Config>, connection: RedisClient) {
  return { connection, prefix: config.redis.prefix };
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const { config, log } = opts;
  const redis = createRedis(config.redis.connection);
  redis.on('error', (err) => log.error({ err }, 'redis connection error'));
  const prefix = config.redis.prefix;
  const apiKey = config.sahut.apiKey;
  if (!apiKey) throw new ConfigError('SAHUT_API_KEY: is required — set it to your Sahut API key');
  const sahutLatency = createLatencyMeter();
  const sahut = createSahutClient({
    baseUrl: config.sahut.baseUrl,
    apiKey,
    // Each record in flight has at most one request out: a connection for each, so a slow Sahut
    // still gets as many requests in flight as the rate allows (rate × latency), without tuning.
    connections: config.worker.maxConcurrency * config.worker.batchSize,
    timeouts: { headersMs: config.sahut.timeoutMs, bodyMs: config.sahut.timeoutMs },
    retry: { retries: config.sahut.maxRetries },
    rateLimiter: createRedisRateLimiter(redis, {
      key: `${prefix}:sahut-rate`,
      // Requests leave evenly spaced but arrive with network jitter; a little headroom keeps
      // their arrival rate at Sahut under the limit too.
      ratePerSec: config.sahut.rateLimit * RATE_HEADROOM,
      scanShare: config.sahut.scanShare,
    }),
    onRequest: (e) => {
      if (e.status !== null) sahutLatency.observe(e.durationMs);
      opts.metrics?.onSahutRequest(e);
    },
  });
  const queues = {
    runs: new Queue(QUEUES.runs, queueOptions(config, redis)),
    records: new Queue(QUEUES.records, queueOptions(config, redis)),
    actions: new Queue(QUEUES.actions, queueOptions(config, redis)),
  };
  for (const q of Object.values(queues))
    q.on('error', (err) => log.error({ err, queue: q.name }, 'queue error'));

  const connectors = createConnectors(config, opts.connections, log, opts.connectorFor, { redis, prefix });
  const connection = (name: string) => findConnection(opts.connections, name);
  const alerts = createNotifier({
    url: config.alerts.webhookUrl,
    format: config.alerts.webhookFormat,
    secrets: secretsOf(config),
    log,
  });

  return {
    config,
    connections: opts.connections,
    // Rows that put records into the attention listing are notified to the alert webhook.
    store: withAttentionAlerts(opts.store, alerts),
    sahut,
    // A crashed holder's identity locks expire soon after its job locks, so its records are not blocked for long.
    locks: createRedisLocks(redis, {
      prefix,
      ttlMs: 2 * config.worker.lockMs,
      waitMs: 4 * config.worker.lockMs,
    }),
    redis,
    queues,
    log,
    metrics: opts.metrics,
    sahutLatency,
    alerts,
    recordJobOptions: {
      attempts: config.worker.attempts,
      backoff: { type: 'exponential', delay: config.worker.backoffMs, jitter: 0.5 },
      removeOnComplete: { count: config.worker.keepCompleted },
      removeOnFail: { count: config.worker.keepFailed },
      // A failed record is audited and replayable; it must not hold its run open forever.
      ignoreDependencyOnFailure: true,
    },
    connection,
    connector: connectors.get,
    async close() {
      await alerts.close();
      await connectors.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await sahut.close();
      redis.disconnect();
    },
  };
}

/** Opens each connection's CRM connector on first use; database pools are shared per URL (and settings). */
export function createConnectors(
  config: Readonly<Config>,
  connections: readonly Connection[],
  log: Logger,
  connectorFor?: (connection: Connection) => CrmConnector,
  /** Where API CRMs share their rate limits and report their daily budget (absent: a dry run). */
  shared?: { redis: RedisClient; prefix: string },
) {
  const pools = new Map<string, pg.Pool>();
  const connectors = new Map<string, CrmConnector>();
  const pgPoolFor = (url: string) => {
    let pool = pools.get(url);
    if (!pool) {
      pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on('error', (err) => log.error({ err }, 'CRM database pool error'));
      pools.set(url, pool);
    }
    return pool;
  };
  const mysqlPools = new Map<string, MysqlPool>();
  const mysqlPoolFor = (source: MysqlSourceConfig) => {
    const key = JSON.stringify([source.url, source.tls, source.pool]);
    let pool = mysqlPools.get(key);
    if (!pool) {
      pool = createMysqlPool(source, dirname(config.syncConfigPath));
      mysqlPools.set(key, pool);
    }
    return pool;
  };
  const open = (c: Connection): CrmConnector => {
    if (connectorFor) return connectorFor(c);
    // A PostgreSQL source without its own url reads the store's database.
    const defaultUrl = config.store.kind === 'postgres' ? config.store.url : undefined;
    const source =
      c.source.type === 'postgres' && !c.source.url ? { ...c.source, url: defaultUrl } : c.source;
    return createConnector(source, {
      pgPoolFor,
      mysqlPoolFor,
      baseDir: dirname(config.syncConfigPath),
      columns: sourceColumns(c.mapping),
      insertColumns: Object.keys(c.options.createInCrm?.defaults ?? {}),
      ...(shared
        ? {
            limiterFor: (key: string, limit: WindowLimit) =>
              createRedisWindowLimiter(shared.redis, { key: `${shared.prefix}:${key}`, ...limit }),
            onDaily: dailyRecorder(shared.redis, shared.prefix, c.name, log),
          }
        : {}),
    });
  };
  return {
    get(name: string): CrmConnector {
      let connector = connectors.get(name);
      if (!connector) {
        connector = open(findConnection(connections, name));
        connectors.set(name, connector);
      }
      return connector;
    },
    async close() {
      for (const c of connectors.values()) await c.close();
      await Promise.all([...pools.values(), ...mysqlPools.values()].map((p) => p.end()));
    },
  };
}
