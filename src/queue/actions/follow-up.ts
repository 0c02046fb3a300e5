import type { Direction } from '../../domain/index.ts';
import { type RunJob, runIdOf } from '../jobs.ts';
import { enqueueRun } from '../runs/runs.ts';
import type { Runtime } from '../runtime.ts';

/**
 * A run of the connection that reads the records a person just asked about:
 * one that is queued and has not started (it reads the carried records when
 * it starts), else a new one. Scheduled runs are not joined, since one that
 * finds the same sync still going is skipped.
 */
export async function followUpRun(
  rt: Runtime,
  connection: string,
  direction: Direction,
): Promise<{ runId: string; jobId: string }> {
  const queued = await rt.queues.runs.getJobs(['waiting', 'delayed', 'prioritized']);
  const pending = queued.find((job) => {
    const d = job.data as Partial<RunJob>;
    return (
      d.connection === connection &&
      d.direction === direction &&
      d.runId === undefined &&
      d.trigger !== 'schedule' &&
      d.trigger !== 'replay'
    );
  });
  if (pending?.id) return { runId: runIdOf(pending), jobId: pending.id };
  const { job, runId } = await enqueueRun(rt, connection, direction, 'cli');
  return { runId, jobId: job.id as string };
}
