import type { JobType, Queue } from 'bullmq';
import type { Logger } from '../../log/index.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { Store } from '../../store/index.ts';
import { withTimeout } from '../health/timeout.ts';

export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'completed',
  'failed',
  'prioritized',
  'waiting-children',
] as const satisfies readonly JobType[];

/** Recent runs scanned for the last success; older successes keep the value already exported. */
const RUNS_SCANNED = 200;
const SOURCE_TIMEOUT_MS = 2_000;

export interface ScrapeSources {
  queues: readonly Queue[];
  store: Pick<Store, 'listRuns'>;
  metrics: Pick<Metrics, 'queueJobs' | 'lastSuccess' | 'workers'>;
  log: Logger;
}

/**
 * Samples the gauges that describe shared state (queue depths, workers, last good run)
 * at scrape time. Concurrent scrapes share one refresh; a source that does not
 * answer leaves its gauges at their last value rather than failing the scrape.
 */
export function scrapeRefresher(sources: ScrapeSources): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  const refresh = async () => {
    const results = await Promise.allSettled([
      withTimeout(refreshQueues(sources), SOURCE_TIMEOUT_MS),
      withTimeout(refreshLastSuccess(sources), SOURCE_TIMEOUT_MS),
    ]);
    for (const r of results) {
      if (r.status === 'rejected')
        sources.log.warn({ err: String(r.reason) }, 'metrics: a gauge source did not answer');
    }
  };
  return () => {
    inFlight ??= refresh().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

async function refreshQueues({ queues, metrics }: ScrapeSources): Promise<void> {
  const [counts, workers] = await Promise.all([
    Promise.all(queues.map((q) => q.getJobCounts(...JOB_STATES))),
    // Worker connections are named after their queue (CLIENT LIST): alive means connected to Redis.
    Promise.all(queues.map((q) => q.getWorkersCount())),
  ]);
  queues.forEach((queue, i) => {
    for (const state of JOB_STATES)
      metrics.queueJobs.set({ queue: queue.name, state }, counts[i]?.[state] ?? 0);
    metrics.workers.set({ queue: queue.name }, workers[i] ?? 0);
  });
}

async function refreshLastSuccess({ store, metrics }: ScrapeSources): Promise<void> {
  const runs = await store.listRuns({ limit: RUNS_SCANNED });
  const latest = new Map<string, { connection: string; direction: string; at: number }>();
  for (const run of runs) {
    if (run.status !== 'succeeded' || !run.finishedAt) continue;
    const key = `${run.connection}\u0000${run.direction}`;
    const at = run.finishedAt.getTime();
    if ((latest.get(key)?.at ?? -1) < at)
      latest.set(key, { connection: run.connection, direction: run.direction, at });
  }
  for (const { connection, direction, at } of latest.values()) {
    metrics.lastSuccess.set({ connection, direction }, at / 1000);
  }
}
