import { type Job, RateLimitError, UnrecoverableError } from 'bullmq';
import { isSahutError, SahutRateLimitedError } from '../sahut/errors.ts';
import type { AuditEntry } from '../store/types.ts';
import type { RecordOutcome } from '../sync/apply/ports.ts';
import { applyToCrm, applyToSahut } from './apply-record.ts';
import { type RecordJob, type RecordResult, recordJobSchema } from './jobs.ts';
import { RecordOutcomeError } from './outcome-error.ts';
import type { Runtime } from './runtime.ts';

// Outcomes that no retry can change: the job fails now and waits for a human (replay).
const PERMANENT_ACTIONS = new Set(['ambiguous', 'rejected']);

type Audited = Pick<RecordOutcome, 'action' | 'sahutId' | 'diff' | 'error' | 'detail'>;

/**
 * One record, one job: its retries never touch the records that succeeded.
 * Every attempt leaves exactly one audit row.
 */
export function createRecordProcessor(rt: Runtime) {
  return async function processRecord(
    job: Job,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<RecordResult> {
    const parsed = recordJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid record job: ${parsed.error.message}`);
    const data = parsed.data;
    const attempt = job.attemptsMade + 1;
    const audit = (o: Audited) =>
      rt.store.appendAudit([auditEntry(job, data, attempt, o)]).then(() => {
        rt.metrics?.records.inc({ action: o.action, direction: data.direction, connection: data.connection });
      });

    let outcome: RecordOutcome;
    try {
      outcome =
        data.direction === 'crm-to-sahut'
          ? await applyToSahut(rt, data, signal)
          : await applyToCrm(rt, data, signal);
    } catch (err) {
      if (err instanceof SahutRateLimitedError) {
        // Pause the whole queue for every worker instead of burning this record's attempts.
        await rt.queues.records.rateLimit(err.retryAfterMs);
        throw new RateLimitError();
      }
      const message = err instanceof Error ? err.message : String(err);
      const permanent = isPermanent(err);
      const last = permanent || attempt >= (job.opts.attempts ?? 1);
      // Only the last attempt's failure is an outcome; an earlier one is noted as `retrying`.
      await audit({
        action: last ? 'failed' : 'retrying',
        sahutId: null,
        diff: null,
        error: last ? message : `${message} (attempt ${attempt}, will retry)`,
      });
      if (permanent) throw new UnrecoverableError(message);
      throw err;
    }
    await audit(outcome);
    if (PERMANENT_ACTIONS.has(outcome.action)) throw new RecordOutcomeError(outcome.action, outcome.error);
    return { action: outcome.action };
  };
}

function isPermanent(err: unknown): boolean {
  if (isSahutError(err)) return err.permanent;
  return typeof err === 'object' && err !== null && 'permanent' in err && err.permanent === true;
}

function auditEntry(job: Job, data: RecordJob, attempt: number, o: Audited): AuditEntry {
  const crmToSahut = data.direction === 'crm-to-sahut';
  return {
    runId: data.runId,
    jobId: job.id ?? null,
    connection: data.connection,
    direction: data.direction,
    crmId: crmToSahut ? data.record.id : data.crmId,
    // A write-back job knows its Sahut contact even when the attempt failed.
    sahutId: o.sahutId ?? (crmToSahut ? null : data.sahutId),
    action: o.action,
    diff: o.diff,
    error: o.error,
    attempt,
    ...(o.detail === undefined ? {} : { detail: o.detail }),
  };
}
