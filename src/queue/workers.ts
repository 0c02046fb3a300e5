import { Worker } from 'bullmq';
import { createActionProcessor } from './actions/processor.ts';
import { QUEUES } from './jobs.ts';
import { followLatency } from './limits/concurrency.ts';
import { logJobFailure } from './records/failure-log.ts';
import { createRecordProcessor } from './records/record-processor.ts';
import { onRunJobFailed } from './runs/run-failed.ts';
import { createRunProcessor } from './runs/run-processor.ts';
import type { Runtime } from './runtime.ts';

export interface Workers {
  runs: Worker;
  records: Worker;
  /** People's actions on the attention listing. */
  actions: Worker;
  /**
   * Stops taking jobs and waits for in-flight ones up to `graceMs`; jobs still
   * running then are left to the stall checker of another worker.
   */
  close(graceMs?: number): Promise<'drained' | 'timed-out'>;
}

export interface WorkerOptions {
  concurrency?: number;
  /** Runs read sources and fan out; a few at a time is plenty. */
  runConcurrency?: number;
}

export function startWorkers(rt: Runtime, opts: WorkerOptions = {}): Workers {
  const { config, log } = rt;
  const common = {
    connection: rt.redis,
    prefix: config.redis.prefix,
    // A worker killed with -9 stops renewing its locks; the stall check hands its jobs to another worker.
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.lockMs,
    // Survives a worker killed twice on the same job; a record that kills every worker it meets
    // still ends: failed and audited after this many take-overs, then carried to a few later runs.
    maxStalledCount: config.worker.maxStalls,
  };
  const runs = new Worker(QUEUES.runs, createRunProcessor(rt), {
    ...common,
    concurrency: opts.runConcurrency ?? 2,
    removeOnComplete: { count: config.worker.keepCompleted },
    removeOnFail: { count: config.worker.keepFailed },
  });
  const processRecords = createRecordProcessor(rt);
  const base = opts.concurrency ?? config.worker.concurrency;
  const records = new Worker(
    QUEUES.records,
    async (job, token, signal) => {
      pace.started();
      try {
        return await processRecords(job, token, signal);
      } finally {
        pace.ended();
      }
    },
    {
      ...common,
      concurrency: base,
      // Every record job calls Sahut at least once, so job starts never need to outpace its limit.
      limiter: { max: config.sahut.rateLimit, duration: 1000 },
      // Rate-limit pauses do not consume attempts; this bounds how often one job may be put back.
      maxStartedAttempts: config.worker.attempts * 20,
    },
  );
  // Requests in flight follow Sahut's latency, between the base and WORKER_MAX_CONCURRENCY.
  const pace = followLatency(records, rt.sahutLatency, {
    base,
    max: Math.max(base, config.worker.maxConcurrency),
    ratePerSec: config.sahut.rateLimit,
    batchSize: config.worker.batchSize,
  });
  const actions = new Worker(QUEUES.actions, createActionProcessor(rt), { ...common, concurrency: 2 });
  let closing = false;
  for (const w of [runs, records, actions])
    w.on('error', (err) =>
      // Closing ends the connections under the commands still in flight (a Cluster client reports
      // them as too many redirections): expected then, and no failure of the process.
      closing
        ? log.info({ queue: w.name, reason: err.message }, 'worker command ended by the shutdown')
        : log.error({ err, queue: w.name }, 'worker error'),
    );
  for (const w of [runs, records]) w.on('failed', (job, err) => logJobFailure(log, w.name, job, err));
  actions.on('failed', (job, err) =>
    log.warn({ queue: actions.name, jobId: job?.id, err: err.message }, 'attention action not carried out'),
  );
  runs.on('failed', onRunJobFailed(rt));
  return {
    runs,
    records,
    actions,
    async close(graceMs = config.worker.shutdownGraceMs) {
      closing = true;
      pace.stop();
      // worker.close() never resolves once Redis is gone (bullmq #4656): race it against the grace period.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timed-out'>((resolve) => {
        timer = setTimeout(() => resolve('timed-out'), graceMs);
      });
      const drained = Promise.all([runs.close(), records.close(), actions.close()]).then(
        () => 'drained' as const,
      );
      try {
        return await Promise.race([drained, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
