import type { JobType, Queue } from 'bullmq';
import type { Logger } from '../../log/index.ts';
import type { Metrics } from '../../metrics/index.ts';
import { ATTENTION_KINDS, type Store } from '../../store/index.ts';
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
  store: Pick<Store, 'listRuns' | 'countAttention'>;
  metrics: Pick<Metrics, 'queueJobs' | 'lastSuccess' | 'workers' | 'attention'>;
  log: Logger;
}

/**
 * Samples the gauges that describe shared state (queue depths, workers, last good run)
 * at scrape time. Concurrent scrapes share one refresh; a source that does not
 * answer leaves its gauges at their last value rather than failing the scrape.
 */
export function scrapeRefresher(sources: ScrapeSources): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  const seen = new Set<string>();
  const refresh = async () => {
    const results = await Promise.allSettled([
      withTimeout(refreshQueues(sources), SOURCE_TIMEOUT_MS),
      withTimeout(refreshLastSuccess(sources), SOURCE_TIMEOUT_MS),
      withTimeout(refreshAttention(sources, seen), SOURCE_TIMEOUT_MS),
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

/**
 * Every kind of every connection seen so far is exported, at 0 when nothing
 * is listed, so a backlog that clears shows as 0 rather than as a series that vanished.
 */
async function refreshAttention({ store, metrics }: ScrapeSources, seen: Set<string>): Promise<void> {
  const counts = await store.countAttention();
  const totals = new Map<string, number>();
  for (const n of counts) {
    seen.add(n.connection);
    const key = `${n.connection}\u0000${n.kind}`;
    totals.set(key, (totals.get(key) ?? 0) + n.records);
  }
  metrics.attention.reset();
  for (const connection of seen)
    for (const kind of ATTENTION_KINDS)
      metrics.attention.set({ connection, kind }, totals.get(`${connection}\u0000${kind}`) ?? 0);
}
