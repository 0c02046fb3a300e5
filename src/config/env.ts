import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { addressList, natMapList } from './redis.ts';

const SECOND = 1000;

/** Empty variables count as unset, so `FOO=` in a .env falls back to the default. */
const opt = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = () => z.stringbool();

/**
 * Every environment variable sahut-sync reads. The `describe` text is the
 * fix shown when a value is bad, and the table of docs/configuration.md is
 * checked against these keys by a test.
 */
export const envSchema = z.object({
  SAHUT_BASE_URL: opt(z.url({ protocol: /^https?$/ }).default('https://api.sahut.id/v1')).describe(
    'Base URL of the Sahut API, e.g. https://api.sahut.id/v1',
  ),
  SAHUT_API_KEY: opt(z.string().min(1).optional()).describe('Your Sahut API key (sent as a Bearer token)'),
  SAHUT_RATE_LIMIT: opt(int(1, 10_000).default(10)).describe(
    'Requests per second allowed by Sahut, shared by all workers',
  ),
  SCAN_RATE_SHARE: opt(z.coerce.number().gt(0).max(1).default(0.2)).describe(
    'Share of SAHUT_RATE_LIMIT a full scan of Sahut (sahut-to-crm pass, scan index) may take while record writes wait, e.g. 0.2; a scan alone takes it all',
  ),
  SAHUT_TIMEOUT_MS: opt(int(100, 10 * 60 * SECOND).default(30 * SECOND)).describe(
    'Timeout for one Sahut HTTP call in milliseconds',
  ),
  SAHUT_MAX_RETRIES: opt(int(0, 20).default(5)).describe(
    'Retries of one Sahut call on 408/429/5xx and network errors',
  ),

  REDIS_URL: opt(z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379')).describe(
    'URL of a single Redis node, e.g. redis://:password@127.0.0.1:6379 (rediss:// for TLS); unused with REDIS_SENTINELS or REDIS_CLUSTER_NODES',
  ),
  REDIS_SENTINELS: opt(addressList().optional()).describe(
    'Sentinel mode: the sentinels, host:port[,host:port…], e.g. 10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379',
  ),
  REDIS_SENTINEL_MASTER: opt(z.string().min(1).default('mymaster')).describe(
    'Sentinel mode: name of the primary the sentinels monitor',
  ),
  REDIS_SENTINEL_PASSWORD: opt(z.string().min(1).optional()).describe(
    'Sentinel mode: password of the sentinels themselves, if they require one',
  ),
  REDIS_CLUSTER_NODES: opt(addressList().optional()).describe(
    'Cluster mode: seed nodes, host:port[,host:port…]; the others are discovered (name a few: a process starts only if one answers)',
  ),
  REDIS_USERNAME: opt(z.string().min(1).optional()).describe(
    'Sentinel or Cluster mode: ACL user of the Redis nodes (a single node takes it in REDIS_URL)',
  ),
  REDIS_PASSWORD: opt(z.string().min(1).optional()).describe(
    'Sentinel or Cluster mode: password of the Redis nodes (a single node takes it in REDIS_URL)',
  ),
  REDIS_TLS: opt(bool().default(false)).describe(
    'Sentinel or Cluster mode: true to use TLS to the nodes and sentinels (a single node: rediss://)',
  ),
  REDIS_NAT_MAP: opt(natMapList().optional()).describe(
    'Sentinel or Cluster mode: addresses the nodes announce mapped to ones reachable from here, announced:port=reachable:port[,…]',
  ),
  QUEUE_PREFIX: opt(
    z
      .string()
      .regex(/^[\w{}.-]+$/)
      .default('sahut-sync'),
  ).describe(
    'Key prefix of every Redis key, one per deployment; on Redis Cluster it gets a hash tag, e.g. {sahut-sync}',
  ),

  DATABASE_URL: opt(z.url({ protocol: /^postgres(ql)?$/ }).optional()).describe(
    'PostgreSQL URL for the store; when unset the embedded SQLite store is used',
  ),
  DATABASE_SCHEMA: opt(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('sahut_sync'),
  ).describe('PostgreSQL schema holding the store tables'),
  SQLITE_PATH: opt(z.string().default('data/sahut-sync.sqlite')).describe(
    'File of the embedded SQLite store (one host only)',
  ),

  SYNC_CONFIG: opt(z.string().default('config/sahut-sync.yaml')).describe(
    'Path of the connections file (sources, mappings, schedules)',
  ),
  DEFAULT_PHONE_REGION: opt(
    z
      .string()
      .toUpperCase()
      .refine((v) => isSupportedCountry(v), 'unknown region')
      .default('ID'),
  ).describe('ISO 3166 region for phone numbers written without a country code, e.g. ID'),

  WORKER_CONCURRENCY: opt(int(1, 256).default(8)).describe(
    'Record jobs processed at once per worker process',
  ),
  WORKER_MAX_CONCURRENCY: opt(int(1, 1024).optional()).describe(
    'Most record jobs a worker process takes at once as Sahut slows down (default 8 × WORKER_CONCURRENCY; equal to it to pin it)',
  ),
  RECORD_BATCH_SIZE: opt(int(1, 100).default(20)).describe(
    'Records carried by one record job (processed side by side; audit, retry and replay stay per record)',
  ),
  JOB_ATTEMPTS: opt(int(1, 50).default(5)).describe('Attempts per record job before it is marked failed'),
  JOB_BACKOFF_MS: opt(int(10, 10 * 60 * SECOND).default(2 * SECOND)).describe(
    'First retry delay of a record job, doubled each attempt',
  ),
  KEEP_COMPLETED_JOBS: opt(int(0, 1_000_000).default(1000)).describe(
    'Completed jobs kept in Redis per queue',
  ),
  KEEP_FAILED_JOBS: opt(int(0, 1_000_000).default(10_000)).describe('Failed jobs kept in Redis per queue'),
  JOB_LOCK_MS: opt(int(1000, 10 * 60 * SECOND).default(30 * SECOND)).describe(
    'Lock on a running job; jobs of a worker that died are taken over after about this long',
  ),
  JOB_MAX_STALLS: opt(int(0, 20).default(2)).describe(
    'Times a record job may lose its worker (killed, lock lost) and be taken over before it is audited failed',
  ),
  SHUTDOWN_GRACE_MS: opt(int(0, 10 * 60 * SECOND).default(30 * SECOND)).describe(
    'How long SIGTERM waits for in-flight jobs before exiting',
  ),

  HTTP_HOST: opt(z.string().default('127.0.0.1')).describe(
    'Address the HTTP server listens on (0.0.0.0 in Docker)',
  ),
  HTTP_PORT: opt(int(0, 65535).default(3000)).describe('Port of the dashboard, health and metrics server'),
  DASHBOARD_AUTH: opt(z.enum(['basic', 'bearer', 'none']).default('basic')).describe(
    'Dashboard authentication: basic, bearer or none (none only on a loopback address)',
  ),
  DASHBOARD_USER: opt(z.string().default('admin')).describe('Dashboard basic-auth user'),
  DASHBOARD_PASSWORD: opt(z.string().min(8).optional()).describe(
    'Dashboard basic-auth password (at least 8 characters)',
  ),
  DASHBOARD_TOKEN: opt(z.string().min(16).optional()).describe(
    'Dashboard bearer token (at least 16 characters)',
  ),
  DASHBOARD_READ_ONLY: opt(bool().default(false)).describe(
    "true to refuse every action: the board's (retry, remove, pause) and the attention listing's (link, create, retry, acknowledge, take)",
  ),
  DASHBOARD_REDACT_PII: opt(bool().default(false)).describe(
    'true to mask phones, emails and names in the board (failed reasons included), the audit pages and the API',
  ),
  METRICS_AUTH: opt(z.enum(['none', 'dashboard']).default('none')).describe(
    'Authentication of /metrics: none (open to scrapers, like /healthz) or dashboard (the DASHBOARD_AUTH credentials)',
  ),

  ALERT_WEBHOOK_URL: opt(z.url({ protocol: /^https?$/ }).optional()).describe(
    'Webhook called when a run fails or records need attention, e.g. a Slack incoming webhook; unset: none',
  ),
  ALERT_WEBHOOK_FORMAT: opt(z.enum(['json', 'slack']).default('json')).describe(
    'Body of webhook notifications: json (the event as JSON) or slack (a Slack-compatible {"text": …})',
  ),

  LOG_LEVEL: opt(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ).describe('Log level: fatal, error, warn, info, debug, trace or silent'),
  LOG_FORMAT: opt(z.enum(['auto', 'json', 'pretty']).default('auto')).describe(
    'auto = pretty on a terminal, JSON otherwise',
  ),
});

export type Env = z.infer<typeof envSchema>;
export const ENV_KEYS = Object.keys(envSchema.shape) as (keyof Env)[];
