import { envSchema } from './env.ts';
import { ConfigError } from './errors.ts';
import { type RedisSettings, redisSettings } from './redis.ts';

export interface Config {
  sahut: {
    baseUrl: string;
    apiKey: string | undefined;
    rateLimit: number;
    /** Share of the rate scans may take while writes wait (queue/limits/rate-limit.ts). */
    scanShare: number;
    timeoutMs: number;
    maxRetries: number;
  };
  /** `prefix` starts every key; on Cluster it carries a hash tag, so all keys share one slot. */
  redis: { connection: RedisSettings; prefix: string };
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };
  syncConfigPath: string;
  defaultRegion: string;
  worker: {
    concurrency: number;
    /** In flight follows Sahut's latency between `concurrency` and this (queue/limits/concurrency.ts). */
    maxConcurrency: number;
    batchSize: number;
    attempts: number;
    backoffMs: number;
    keepCompleted: number;
    keepFailed: number;
    lockMs: number;
    maxStalls: number;
    shutdownGraceMs: number;
  };
  http: { host: string; port: number };
  dashboard: {
    auth: 'basic' | 'bearer' | 'none';
    user: string;
    password: string | undefined;
    token: string | undefined;
    readOnly: boolean;
    redactPii: boolean;
  };
  metrics: { auth: 'none' | 'dashboard' };
  alerts: { webhookUrl: string | undefined; webhookFormat: 'json' | 'slack' };
  log: { level: string; format: 'auto' | 'json' | 'pretty' };
}

/** Parses the environment once, at start-up; the result is frozen and passed down. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw ConfigError.fromIssues(
      'the environment',
      parsed.error.issues,
      (key) => {
        const field = envSchema.shape[key as keyof typeof envSchema.shape];
        return field?.description ? `set ${key} to: ${field.description}` : '';
      },
      (key) => env[key] !== undefined && env[key] !== '',
    );
  }
  const e = parsed.data;
  const redis = redisSettings(e);
  return deepFreeze({
    sahut: {
      baseUrl: e.SAHUT_BASE_URL.replace(/\/+$/, ''),
      apiKey: e.SAHUT_API_KEY,
      rateLimit: e.SAHUT_RATE_LIMIT,
      scanShare: e.SCAN_RATE_SHARE,
      timeoutMs: e.SAHUT_TIMEOUT_MS,
      maxRetries: e.SAHUT_MAX_RETRIES,
    },
    redis: { connection: redis.settings, prefix: redis.prefix },
    store: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA }
      : { kind: 'sqlite', path: e.SQLITE_PATH },
    syncConfigPath: e.SYNC_CONFIG,
    defaultRegion: e.DEFAULT_PHONE_REGION,
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      maxConcurrency: Math.max(e.WORKER_CONCURRENCY, e.WORKER_MAX_CONCURRENCY ?? 8 * e.WORKER_CONCURRENCY),
      batchSize: e.RECORD_BATCH_SIZE,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      keepCompleted: e.KEEP_COMPLETED_JOBS,
      keepFailed: e.KEEP_FAILED_JOBS,
      lockMs: e.JOB_LOCK_MS,
      maxStalls: e.JOB_MAX_STALLS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    dashboard: {
      auth: e.DASHBOARD_AUTH,
      user: e.DASHBOARD_USER,
      password: e.DASHBOARD_PASSWORD,
      token: e.DASHBOARD_TOKEN,
      readOnly: e.DASHBOARD_READ_ONLY,
      redactPii: e.DASHBOARD_REDACT_PII,
    },
    metrics: { auth: e.METRICS_AUTH },
    alerts: { webhookUrl: e.ALERT_WEBHOOK_URL, webhookFormat: e.ALERT_WEBHOOK_FORMAT },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
  } satisfies Config);
}

/** Commands that call Sahut need its key; the others (audit, serve, sandbox) run without it. */
export function requireSahutKey(config: Config): string {
  if (!config.sahut.apiKey) {
    throw new ConfigError(
      'Invalid configuration in the environment:\n  SAHUT_API_KEY: is required — set SAHUT_API_KEY to: Your Sahut API key (sent as a Bearer token)',
    );
  }
  return config.sahut.apiKey;
}

/** Every secret value in the config, so the logger can scrub them from any line. */
export function secretsOf(config: Config): string[] {
  const urlPassword = (url: string | undefined) => {
    if (!url) return undefined;
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  };
  return [
    config.sahut.apiKey,
    config.dashboard.password,
    config.dashboard.token,
    // A webhook URL is a credential: a Slack one carries its token in the path.
    config.alerts.webhookUrl,
    ...redisSecrets(config.redis.connection),
    config.store.kind === 'postgres' ? urlPassword(config.store.url) : undefined,
  ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
}

function redisSecrets(settings: RedisSettings): (string | undefined)[] {
  if (settings.mode === 'single') {
    const password = new URL(settings.url).password;
    return [password ? decodeURIComponent(password) : undefined];
  }
  return [settings.password, settings.mode === 'sentinel' ? settings.sentinelPassword : undefined];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
