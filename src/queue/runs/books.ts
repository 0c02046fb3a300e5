import type { Job } from 'bullmq';
import { type AuditEntry, OUTCOME_ACTIONS, type Run } from '../../store/types.ts';
import { keyOf, type RunJob, recordJobSchema } from '../jobs.ts';
import type { Runtime } from '../runtime.ts';

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
    const reasons = await childFailures(rt, job);
    const rows: AuditEntry[] = missing.map((crmId) => {
      const failure = reasons.get(crmId);
      return {
        runId,
        jobId: failure?.jobId ?? null,
        connection: data.connection,
        direction: data.direction,
        crmId,
        sahutId: null,
        action: 'failed',
        diff: null,
        error: failure
          ? `record job ended without an outcome: ${failure.reason}`
          : 'record job vanished before it settled (removed, or lost by Redis)',
        attempt: (failure?.attempts ?? 0) + 1,
        detail: { cause: failure ? 'job-failed' : 'job-vanished' },
      };
    });
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

/** Why each record of the run's failed record jobs ended, by CRM id (the jobs BullMQ failed on its own). */
async function childFailures(rt: Runtime, job: Job) {
  const byRecord = new Map<string, { jobId: string; reason: string; attempts: number }>();
  for (const [key, reason] of Object.entries(await job.getIgnoredChildrenFailures())) {
    const jobId = key.slice(key.lastIndexOf(':') + 1);
    const child = await rt.queues.records.getJob(jobId);
    const parsed = recordJobSchema.safeParse(child?.data);
    if (!parsed.success) continue;
    for (const item of parsed.data.records)
      byRecord.set(keyOf(item), { jobId, reason, attempts: child?.attemptsMade ?? 0 });
  }
  return byRecord;
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
