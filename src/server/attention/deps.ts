import type { Queue } from 'bullmq';
import type { Config, Connection } from '../../config/index.ts';
import type { RedisClient } from '../../redis/index.ts';
import type { Store } from '../../store/index.ts';

/** What the attention pages and API need: the store, the runs and actions queues, the settings. */
export interface AttentionDeps {
  store: Store;
  queues: { runs: Queue; actions: Queue };
  config: Readonly<Config>;
  /** The connections file's connections, when the server could read it (health lists them even before a run). */
  connections: readonly Connection[];
  /** Read-only: the figures workers leave in Redis (a CRM's daily API budget). */
  redis?: RedisClient;
}
