import { setTimeout } from 'node:timers/promises';
import { type Job, QueueEvents } from 'bullmq';
import type { Run } from '../store/types.ts';
import type { Direction } from '../sync/contact.ts';
import type { RunJob } from './jobs.ts';
import { runIdFromJobId } from './jobs.ts';
import type { Runtime } from './runtime.ts';

/** Enqueues one run and returns its job; the run id is derived from the job id. */
export async function enqueueRun(
  rt: Runtime,
  connection: string,
  direction: Direction,
  trigger: RunJob['trigger'] = 'cli',
): Promise<{ job: Job; runId: string }> {
  rt.connection(connection);
  const data: Pick<RunJob, 'connection' | 'direction' | 'trigger'> = { connection, direction, trigger };
  const job = await rt.queues.runs.add('run', data, {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { count: rt.config.worker.keepCompleted },
    removeOnFail: { count: rt.config.worker.keepFailed },
  });
  return { job, runId: runIdFromJobId(job.id as string) };
}

/**
 * Waits for a run job to finish (on queue events, not by polling the job),
 * calling `onProgress` with the store's view of the run meanwhile.
 */
export async function waitForRun(
  rt: Runtime,
  job: Job,
  runId: string,
  onProgress?: (run: Run) => void,
  progressEveryMs = 1000,
): Promise<Run> {
  const events = new QueueEvents(rt.queues.runs.name, {
    connection: rt.redis.duplicate(),
    prefix: rt.config.redis.prefix,
  });
  events.on('error', (err) => rt.log.error({ err }, 'queue events error'));
  const ticker = onProgress
    ? setInterval(() => {
        rt.store.getRun(runId).then(
          (run) => run && onProgress(run),
          () => {},
        );
      }, progressEveryMs)
    : undefined;
  const stop = new AbortController();
  try {
    await events.waitUntilReady();
    // QueueEvents only sees what happens after it starts reading: a run that ended
    // in between is caught by the (slow) state check.
    await Promise.race([job.waitUntilFinished(events), settledState(rt, job, stop.signal)]);
  } finally {
    stop.abort();
    clearInterval(ticker);
    await events.close();
  }
  const run = await rt.store.getRun(runId);
  if (!run) throw new Error(`run ${runId} finished but the store has no record of it`);
  return run;
}

async function settledState(rt: Runtime, job: Job, signal: AbortSignal): Promise<void> {
  for (;;) {
    const state = await job.getState();
    if (state === 'completed') return;
    if (state === 'failed') {
      const failed = await rt.queues.runs.getJob(job.id as string);
      throw new Error(failed?.failedReason ?? `run job ${job.id} failed`);
    }
    // Aborted once the race is decided; what this returns then no longer matters.
    if (!(await setTimeout(1000, true, { signal }).catch(() => false))) return;
  }
}
