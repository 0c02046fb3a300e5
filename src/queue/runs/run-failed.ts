import type { Job } from 'bullmq';
import type { Direction } from '../../domain/index.ts';
import { runJobSchema } from '../jobs.ts';
import type { Runtime } from '../runtime.ts';

export interface RunFailure {
  connection: string;
  direction: Direction;
  /** Null when the run failed before it got an id (it never started). */
  runId: string | null;
  error: string;
}

/**
 * Sends the "run failed" notification to the alert webhook (a no-op without
 * ALERT_WEBHOOK_URL); counting and logging the failure are the caller's. Call
 * it once per failed run: the runs worker calls it when a run job's last
 * attempt fails; a run that ends failed while its job does not (books that do
 * not balance, a reaped orphan) calls it where it finishes the run.
 */
export function notifyRunFailure(rt: Pick<Runtime, 'alerts'>, failure: RunFailure): void {
  void rt.alerts.notify({ kind: 'run-failed', ...failure });
}

/**
 * The runs worker's `failed` listener: a failed attempt that will be retried
 * is not a failed run; the last one is (BullMQ sets `finishedOn` only then).
 */
export function onRunJobFailed(rt: Pick<Runtime, 'alerts'>) {
  return (job: Job | undefined, err: Error): void => {
    if (!job?.finishedOn) return;
    const data = runJobSchema.safeParse(job.data);
    if (!data.success) return;
    notifyRunFailure(rt, {
      connection: data.data.connection,
      direction: data.data.direction,
      runId: data.data.runId ?? null,
      error: err.message,
    });
  };
}
