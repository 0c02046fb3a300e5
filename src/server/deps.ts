import type { Config, Connection } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { RedisClient } from '../redis/index.ts';
import type { Store } from '../store/index.ts';

export interface ServerDeps {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  metrics: Metrics;
  /** From `createRedis` (any shape: single, Sentinel, Cluster); shared, never closed by the server. */
  redis: RedisClient;
  /** Mount Bull Board and the audit API and pages; false (inside a worker) = only health and metrics. */
  dashboard: boolean;
  /** The connections file's connections: the health page lists them before their first run. */
  connections?: readonly Connection[];
}
