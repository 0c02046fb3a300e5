import type { Job } from 'bullmq';
import { type AuditEntry, OUTCOME_ACTIONS, type Run } from '../store/types.ts';
import { type RunJob, recordJobId } from './jobs.ts';
import type { Runtime } from './runtime.ts';

/** A record that ends failed is read again by this many following runs, then left to a person. */
export const MAX_CARRIES = 3;
const NAMED = 20;

/**
 * Closes the books of one window once its record jobs are done: a record the
 * window handed out but that has no outcome (its job stalled past the limit,
 * lost its lock or vanished from Redis without the processor saying so) is
 * audited `failed` with the reason, here, before the cursor may move past it.
 * Records that ended failed are then carried to the next runs (CRM→Sahut;
 * a Sahut scan sees its failures again anyway). Idempotent.
 */
export async function closeWindow(rt: Runtime, job: Job, data: RunJob, runId: string): Promise<string[]> {
  const missing = await rt.store.unaccounted(runId, data.window);
  if (missing.length > 0) {
    const failures = await job.getIgnoredChildrenFailures();
    const rows: AuditEntry[] = [];
    for (const crmId of missing) {
      const jobId = recordJobId(runId, data.window, crmId);
      const child = await rt.queues.records.getJob(jobId);
      const failure = Object.entries(failures).find(([key]) => key.endsWith(`:${jobId}`))?.[1];
      const error = failure
        ? `record job ended without an outcome: ${failure}`
        : 'record job vanished before it settled (removed, or lost by Redis)';
      rows.push({
        runId,
        jobId,
        connection: data.connection,
        direction: data.direction,
        crmId,
        sahutId: null,
        action: 'failed',
        diff: null,
        error,
        attempt: (child?.attemptsMade ?? 0) + 1,
        detail: { cause: failure ? 'job-failed' : 'job-vanished' },
      });
    }
    await rt.store.appendAudit(rows);
    for (const _ of rows)
      rt.metrics?.records.inc({ action: 'failed', direction: data.direction, connection: data.connection });
    rt.log.warn(
      { runId, connection: data.connection, crmIds: missing.slice(0, NAMED), count: missing.length },
      'record jobs ended without an outcome; audited as failed',
    );
  }
  if (data.direction === 'crm-to-sahut')
    await rt.store.settleRunRecords(runId, data.window, {
      connection: data.connection,
      direction: data.direction,
      maxCarries: MAX_CARRIES,
    });
  return missing;
}

/**
 * A run's books balance when every record it read has exactly one outcome.
 * Returns null when they do, else what is wrong, naming the records.
 */
export async function checkBooks(rt: Runtime, run: Run): Promise<string | null> {
  const missing = await rt.store.unaccounted(run.id);
  const outcomes = OUTCOME_ACTIONS.reduce((sum, action) => sum + (run.counts[action] ?? 0), 0);
  if (missing.length === 0 && outcomes === run.total) return null;
  const named = missing.slice(0, NAMED).join(', ');
  const more = missing.length > NAMED ? ` and ${missing.length - NAMED} more` : '';
  return missing.length > 0
    ? `books do not balance: ${missing.length} records without an outcome (${named}${more})`
    : `books do not balance: ${run.total} records read, ${outcomes} outcomes`;
}
