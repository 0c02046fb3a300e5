import type { Job } from 'bullmq';
import type { Logger } from '../log/index.ts';
import { QUEUES } from './jobs.ts';
import { RecordOutcomeError } from './outcome-error.ts';

/**
 * Logs a failed attempt at the level it deserves: an outcome (a record rejected
 * or ambiguous, reported by the summary and the audit) and an attempt that will
 * be retried are information; WARN is kept for a record whose retries ran out,
 * ERROR for a run that could not finish.
 */
export function logJobFailure(log: Logger, queue: string, job: Job | undefined, err: Error): void {
  const context = { queue, jobId: job?.id, attempt: job?.attemptsMade, ...recordOf(job) };
  if (err instanceof RecordOutcomeError) {
    log.info({ ...context, action: err.action, reason: err.reason }, `record ${err.action}`);
    return;
  }
  // BullMQ sets finishedOn only when it moved the job to failed for good; otherwise it tries again.
  if (job && job.finishedOn === undefined) {
    log.info({ ...context, err: err.message }, 'attempt failed; will retry');
    return;
  }
  if (queue === QUEUES.runs) log.error({ ...context, err: err.message }, 'run failed');
  else log.warn({ ...context, err: err.message }, 'record failed; retries exhausted');
}

/** The run and CRM id a record job is about, so a log line names the record without its data. */
function recordOf(job: Job | undefined): { runId?: string; crmId?: string } {
  const data = job?.data as { runId?: unknown; crmId?: unknown; record?: { id?: unknown } } | undefined;
  const crmId = data?.record?.id ?? data?.crmId;
  return {
    ...(typeof data?.runId === 'string' ? { runId: data.runId } : {}),
    ...(typeof crmId === 'string' ? { crmId } : {}),
  };
}
