import { type Job, RateLimitError, UnrecoverableError } from 'bullmq';
import { isSahutError, SahutRateLimitedError } from '../sahut/errors.ts';
import type { AuditEntry } from '../store/types.ts';
import type { RecordOutcome } from '../sync/apply/ports.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { syncToSahut } from '../sync/apply/to-sahut.ts';
import { type RecordJob, type RecordResult, recordJobSchema } from './jobs.ts';
import type { Runtime } from './runtime.ts';

// Outcomes that no retry can change: the job fails now and waits for a human (replay).
const PERMANENT_ACTIONS = new Set(['ambiguous', 'rejected']);

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
    if (data.direction !== 'crm-to-sahut')
      throw new UnrecoverableError(`unsupported direction ${data.direction}`);
    const attempt = job.attemptsMade + 1;
    const audit = (o: Pick<RecordOutcome, 'action' | 'sahutId' | 'diff' | 'error'>) =>
      rt.store.appendAudit([auditEntry(job, data, attempt, o)]).then(() => {
        rt.metrics?.records.inc({ action: o.action, direction: data.direction, connection: data.connection });
      });

    let outcome: RecordOutcome;
    try {
      const connection = rt.connection(data.connection);
      const prepared = prepareRecord(data.record, connection, rt.config.defaultRegion);
      if (prepared.kind === 'rejected') {
        outcome = {
          action: 'rejected',
          crmId: data.record.id,
          sahutId: null,
          diff: null,
          error: prepared.reason,
        };
      } else {
        const link = (await rt.store.getLinks(connection.name, [prepared.crmId])).get(prepared.crmId);
        const ctx = { connection, defaultRegion: rt.config.defaultRegion, ...(signal ? { signal } : {}) };
        outcome = await syncToSahut(rt, ctx, prepared, link);
      }
    } catch (err) {
      if (err instanceof SahutRateLimitedError) {
        // Pause the whole queue for every worker instead of burning this record's attempts.
        await rt.queues.records.rateLimit(err.retryAfterMs);
        throw new RateLimitError();
      }
      const message = err instanceof Error ? err.message : String(err);
      const permanent = isPermanent(err);
      const last = permanent || attempt >= (job.opts.attempts ?? 1);
      await audit({
        action: 'failed',
        sahutId: null,
        diff: null,
        error: last ? message : `${message} (attempt ${attempt}, will retry)`,
      });
      if (permanent) throw new UnrecoverableError(message);
      throw err;
    }
    await audit(outcome);
    if (PERMANENT_ACTIONS.has(outcome.action))
      throw new UnrecoverableError(`${outcome.action}: ${outcome.error}`);
    return { action: outcome.action };
  };
}

function isPermanent(err: unknown): boolean {
  if (isSahutError(err)) return err.permanent;
  return typeof err === 'object' && err !== null && 'permanent' in err && err.permanent === true;
}

function auditEntry(
  job: Job,
  data: Extract<RecordJob, { direction: 'crm-to-sahut' }>,
  attempt: number,
  o: Pick<RecordOutcome, 'action' | 'sahutId' | 'diff' | 'error'>,
): AuditEntry {
  return {
    runId: data.runId,
    jobId: job.id ?? null,
    connection: data.connection,
    direction: data.direction,
    crmId: data.record.id,
    sahutId: o.sahutId,
    action: o.action,
    diff: o.diff,
    error: o.error,
    attempt,
  };
}
