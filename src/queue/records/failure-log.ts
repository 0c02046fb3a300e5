import type { Job } from 'bullmq';
import type { Logger } from '../../log/index.ts';
import { QUEUES } from '../jobs.ts';

/**
 * Logs a failed job at the level it deserves. A record job logs each of its
 * records itself (see the record processor), so its own failure is only a
 * debug line. For a run: an attempt that will be retried is information, the
 * last one an ERROR, an operator must act on it.
 */
export function logJobFailure(log: Logger, queue: string, job: Job | undefined, err: Error): void {
  const context = { queue, jobId: job?.id, attempt: job?.attemptsMade, ...recordOf(job) };
  if (queue === QUEUES.records) {
    log.debug({ ...context, err: err.message }, 'record job failed');
    return;
  }
  // BullMQ sets finishedOn only when it moved the job to failed for good; otherwise it tries again.
  if (job && job.finishedOn === undefined) {
    log.info({ ...context, err: err.message }, 'attempt failed; will retry');
    return;
  }
  log.error({ ...context, err: err.message }, 'run failed');
}

/** The run and CRM ids a record job is about, so a log line names the records without their data. */
function recordOf(job: Job | undefined): { runId?: string; crmIds?: string[] } {
  const data = job?.data as { runId?: unknown; records?: unknown } | undefined;
  const records = Array.isArray(data?.records) ? (data.records as { id?: unknown; crmId?: unknown }[]) : [];
  const crmIds = records.map((r) => r.id ?? r.crmId).filter((id): id is string => typeof id === 'string');
  return {
    ...(typeof data?.runId === 'string' ? { runId: data.runId } : {}),
    ...(crmIds.length > 0 ? { crmIds: crmIds.slice(0, 10) } : {}),
  };
}
