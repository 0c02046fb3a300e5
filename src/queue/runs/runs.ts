import { type Job, type JobsOptions, QueueEvents } from 'bullmq';
import type { Config } from '../../config/index.ts';
import type { Direction } from '../../domain/index.ts';
import type { Run, RunProgress } from '../../store/types.ts';
import type { RunJob } from '../jobs.ts';
import { newRunJobId, runIdOf } from '../jobs.ts';
import type { Runtime } from '../runtime.ts';
import { reapOrphanRuns } from './run-guard.ts';

/** Enqueues one run and returns its job; the run id is derived from the job id. */
export async function enqueueRun(
  rt: Runtime,
  connection: string,
  direction: Direction,
  trigger: RunJob['trigger'] = 'cli',
  extra: Partial<Pick<RunJob, 'full' | 'allowDeletes'>> = {},
): Promise<{ job: Job; runId: string }> {
  rt.connection(connection);
  const data: Partial<RunJob> = { connection, direction, trigger, ...extra };
  const job = await rt.queues.runs.add('run', data, { ...runJobOptions(rt.config), jobId: newRunJobId() });
  return { job, runId: runIdOf(job) };
}

function runJobOptions(config: Readonly<Config>): JobsOptions {
  return {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { count: config.worker.keepCompleted },
    removeOnFail: { count: config.worker.keepFailed },
  };
}

/** What enqueueing a run needs: a Runtime has it, and so has the scheduler. */
export type RunQueue = Pick<Runtime, 'config' | 'connection'> & { queues: Pick<Runtime['queues'], 'runs'> };

/**
 * Enqueues a crm-to-sahut run after a change in the CRM (`source.notify`),
 * starting `debounceMs` later, unless a change run of the connection is
 * already queued and not started: changes until it starts join it. A burst
 * makes one run; a steady stream one run per `debounceMs` at most, never
 * postponed (unlike a debounce that restarts its delay on every change), and
 * at most one waiting behind a long run. BullMQ deduplication covers two
 * schedulers adding at the same moment. A change run that finds another run
 * of the connection going waits its turn (only scheduled runs are skipped).
 */
export async function enqueueChangeRun(rt: RunQueue, connection: string, debounceMs: number): Promise<Job> {
  rt.connection(connection);
  const queued = await rt.queues.runs.getJobs(['delayed', 'waiting', 'prioritized']);
  const pending = queued.find((job) => {
    const d = job.data as Partial<RunJob>;
    return d.connection === connection && d.trigger === 'notify' && d.runId === undefined;
  });
  if (pending) return pending;
  const data: Pick<RunJob, 'connection' | 'direction' | 'trigger'> = {
    connection,
    direction: 'crm-to-sahut',
    trigger: 'notify',
  };
  return rt.queues.runs.add('run', data, {
    ...runJobOptions(rt.config),
    delay: debounceMs,
    deduplication: { id: `notify--${connection}`, ttl: Math.max(debounceMs, 1) },
  });
}

/**
 * The run of this connection and direction that is already queued or going
 * (the oldest, when several are), so that a `run --once` started again by
 * cron joins it instead of queueing a second run behind it.
 */
export async function findRunInFlight(
  rt: { queues: Pick<Runtime['queues'], 'runs'> },
  connection: string,
  direction: Direction,
): Promise<{ job: Job; runId: string } | null> {
  const jobs = await rt.queues.runs.getJobs([
    'active',
    'waiting-children',
    'waiting',
    'delayed',
    'prioritized',
  ]);
  const mine = jobs
    .filter((j) => {
      const d = j.data as Partial<RunJob>;
      // A job scheduler keeps its next run waiting as a delayed job: not a run in flight until it starts.
      const future = d.trigger === 'schedule' && !d.runId;
      return d.connection === connection && d.direction === direction && d.trigger !== 'replay' && !future;
    })
    .sort((a, b) => a.timestamp - b.timestamp)[0];
  if (!mine?.id) return null;
  return { job: mine, runId: (mine.data as Partial<RunJob>).runId ?? runIdOf(mine) };
}

/**
 * Waits for a run job to finish (on queue events, not by polling the job),
 * calling `onProgress` with the store's view of the run meanwhile.
 */
export async function waitForRun(
  rt: Runtime,
  job: Job,
  runId: string,
  onProgress?: (progress: RunProgress) => void,
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
  let ticker: NodeJS.Timeout | undefined;
  // A run whose job vanishes (Redis lost it, someone removed it) sends no event: watch for that too.
  const vanished = new Promise<void>((resolve) => {
    ticker = setInterval(() => {
      if (onProgress)
        rt.store.runProgress(runId).then(
          (progress) => progress && onProgress(progress),
          () => {},
        );
      rt.queues.runs.getJob(job.id as string).then(
        (found) => found || resolve(),
        () => {},
      );
    }, progressEveryMs);
  });
  let failure: unknown = null;
  try {
    await events.waitUntilReady();
    await Promise.race([job.waitUntilFinished(events).catch((err: unknown) => (failure = err)), vanished]);
  } finally {
    clearInterval(ticker);
    await events.close();
  }
  let run = await rt.store.getRun(runId);
  if (run?.status === 'running') {
    await reapOrphanRuns(rt, run.connection, '');
    run = await rt.store.getRun(runId);
  }
  // A run job that failed has ended its run in the store (with the reason): report it like any other.
  if (run) return run;
  // No run and no job: Redis lost the job before a worker started it (a failover, keys deleted).
  if (!(await rt.queues.runs.getJob(job.id as string))) throw new RunNeverStartedError(runId);
  throw failure ?? new Error(`run ${runId} finished but the store has no record of it`);
}

/**
 * A run whose job ended or vanished before any worker started it: Redis lost the job (a failover
 * that dropped its last writes, keys deleted), so the store never heard of the run. Nothing was
 * read or written: enqueueing it again is safe.
 */
export class RunNeverStartedError extends Error {
  readonly runId: string;
  constructor(runId: string) {
    super(`run ${runId} vanished from Redis before any worker started it`);
    this.runId = runId;
  }
}
