import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestEvent } from '../sahut/types.ts';

/**
 * The process's Prometheus metrics. One instance per process (a registry
 * refuses a metric name twice); workers count, the server exposes.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sahut_sync_process_' });
  // prom-client names these gauges `…_total`, which Prometheus' linter rejects; the handle counts are noise anyway.
  for (const kind of ['handles', 'requests', 'resources']) {
    registry.removeSingleMetric(`sahut_sync_process_nodejs_active_${kind}_total`);
  }
  const registers = [registry];
  const metrics = {
    registry,
    records: new Counter({
      name: 'sahut_sync_records_total',
      help: 'Records settled, by action and direction',
      labelNames: ['action', 'direction', 'connection'] as const,
      registers,
    }),
    apiCalls: new Counter({
      name: 'sahut_sync_sahut_requests_total',
      help: 'HTTP requests sent to Sahut, by route and status class',
      labelNames: ['route', 'status_class'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'sahut_sync_sahut_retries_total',
      help: 'Sahut requests that were retries of an earlier attempt',
      labelNames: ['route'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'sahut_sync_sahut_rate_limited_total',
      help: 'Sahut answers with HTTP 429',
      registers,
    }),
    latency: new Histogram({
      name: 'sahut_sync_sahut_request_duration_seconds',
      help: 'Latency of Sahut HTTP requests',
      labelNames: ['route'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    writeWindow: new Histogram({
      name: 'sahut_sync_sahut_write_window_seconds',
      help: 'From the GET a PUT was computed from to the PUT leaving: the time an agent edit of the contact could be overwritten (Sahut has no conditional update)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    runs: new Counter({
      name: 'sahut_sync_runs_total',
      help: 'Finished runs, by outcome',
      labelNames: ['connection', 'direction', 'outcome'] as const,
      registers,
    }),
    queueJobs: new Gauge({
      name: 'sahut_sync_queue_jobs',
      help: 'Jobs in each queue, by state (sampled at scrape time)',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    workers: new Gauge({
      name: 'sahut_sync_workers',
      help: 'Worker connections consuming each queue (sampled at scrape time)',
      labelNames: ['queue'] as const,
      registers,
    }),
    attention: new Gauge({
      name: 'sahut_sync_attention_records',
      help: 'Records in the attention listing, not acknowledged, by connection and kind (sampled at scrape time)',
      labelNames: ['connection', 'kind'] as const,
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'sahut_sync_last_successful_run_timestamp_seconds',
      help: 'End time of the last successful run, per connection and direction',
      labelNames: ['connection', 'direction'] as const,
      registers,
    }),
  };
  return {
    ...metrics,
    /** Feeds the Sahut client's per-request events into the counters. */
    onSahutRequest(e: RequestEvent) {
      const statusClass = e.status === null ? 'error' : `${Math.floor(e.status / 100)}xx`;
      metrics.apiCalls.inc({ route: e.route, status_class: statusClass });
      metrics.latency.observe({ route: e.route }, e.durationMs / 1000);
      if (e.attempt > 1) metrics.retries.inc({ route: e.route });
      if (e.status === 429) metrics.rateLimited.inc();
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
