import { type Job, QueueEvents } from 'bullmq';
import type { Direction } from '../domain/index.ts';
import type { Run } from '../store/types.ts';
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
  // Events are read from the stream's current end, taken before the job's state is checked
  // (in waitUntilFinished): an end that comes in between is then still delivered.
  const [last] = await rt.redis.xrevrange(rt.queues.runs.toKey('events'), '+', '-', 'COUNT', 1);
  const events = new QueueEvents(rt.queues.runs.name, {
    // BullMQ gives a blocking reader a duplicate of the connection (of the same kind: single, Sentinel or Cluster).
    connection: rt.redis,
    prefix: rt.config.redis.prefix,
    lastEventId: last?.[0] ?? '0-0',
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
  try {
    await events.waitUntilReady();
    await job.waitUntilFinished(events);
  } finally {
    clearInterval(ticker);
    await events.close();
  }
  const run = await rt.store.getRun(runId);
  if (!run) throw new Error(`run ${runId} finished but the store has no record of it`);
  return run;
}
