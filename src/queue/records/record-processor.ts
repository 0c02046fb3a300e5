import { type Job, RateLimitError, UnrecoverableError } from 'bullmq';
import type { CrmRecord } from '../../crm/types.ts';
import { isSahutError, SahutRateLimitedError } from '../../sahut/errors.ts';
import type { AuditEntry } from '../../store/types.ts';
import type { RecordOutcome } from '../../sync/apply/ports.ts';
import {
  type Held,
  keyOf,
  type RecordItem,
  type RecordJob,
  type RecordResult,
  recordJobSchema,
} from '../jobs.ts';
import type { Runtime } from '../runtime.ts';
import { applyToCrm, applyToSahut, type Settled as SettledOf } from './apply-record.ts';

// Outcomes that no retry can change: the record waits for a person (attention, replay).
const PERMANENT_ACTIONS = new Set(['ambiguous', 'rejected']);

type Audited = Pick<RecordOutcome, 'action' | 'sahutId' | 'diff' | 'error' | 'detail'>;
type Settled = SettledOf<RecordItem>;

/**
 * A small batch of records, processed side by side. Every record's attempt
 * leaves exactly one audit row, all written in one statement. Records that
 * succeed leave the job; one whose attempt failed and may pass later keeps it
 * alive for a retry of just those records; one that reached a final outcome
 * (ambiguous, rejected, failed for good) is held in the job, so the job ends
 * failed with exactly those records, for `replay --failed`.
 */
export function createRecordProcessor(rt: Runtime) {
  return async function processRecords(
    job: Job,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<RecordResult> {
    const parsed = recordJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid record job: ${parsed.error.message}`);
    const data = parsed.data;
    const attempt = job.attemptsMade + 1;
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    const todo = data.records.filter((item) => !item.held);
    // A job started before (a worker died, an attempt failed) may have POSTed without saving the
    // link or indexing the contact: only a live search can see that contact now.
    const attempted =
      job.attemptsStarted > 1 || job.stalledCounter > 0 ? { ...data, match: 'search' as const } : data;
    // Each record's fate is logged here, at the level it deserves: outcomes and retried attempts are
    // information (the summary and the audit report them); WARN only when a record's retries ran out.
    const log = rt.log.child({ runId: data.runId, connection: data.connection, jobId: job.id });
    const settled: Settled[] =
      attempted.direction === 'sahut-to-crm'
        ? await Promise.all(
            todo.map((item) =>
              applyToCrm(rt, attempted, item as Extract<RecordItem, { sahutId: string }>, signal).then(
                (outcome): Settled => ({ item, outcome }),
                (error: unknown): Settled => ({ item, error }),
              ),
            ),
          )
        : await applyToSahut(rt, attempted, todo as CrmRecord[], signal);

    const rows: AuditEntry[] = [];
    const retry: RecordItem[] = [];
    const held: RecordItem[] = data.records.filter((item) => item.held);
    const actions: Record<string, number> = {};
    let pauseMs = 0;
    let retryReason = '';
    for (const s of settled) {
      let audited: Audited;
      let hold: Held | null = null;
      if ('outcome' in s) {
        audited = s.outcome;
        if (s.outcome.sahutWindowMs !== undefined)
          rt.metrics?.writeWindow.observe(s.outcome.sahutWindowMs / 1000);
        if (PERMANENT_ACTIONS.has(s.outcome.action)) {
          hold = { action: s.outcome.action as Held['action'], error: s.outcome.error };
          log.info(
            { crmId: keyOf(s.item), action: hold.action, reason: hold.error },
            `record ${hold.action}`,
          );
        }
      } else if (s.error instanceof SahutRateLimitedError) {
        // Not an attempt: the whole queue pauses for Retry-After and the record goes again.
        pauseMs = Math.max(pauseMs, s.error.retryAfterMs);
        retry.push(s.item);
        continue;
      } else {
        const message = s.error instanceof Error ? s.error.message : String(s.error);
        const final = isPermanent(s.error) || lastAttempt;
        // Only the last attempt's failure is an outcome; an earlier one is noted as `retrying`.
        audited = {
          action: final ? 'failed' : 'retrying',
          sahutId: null,
          diff: null,
          error: final ? message : `${message} (attempt ${attempt}, will retry)`,
        };
        const context = { crmId: keyOf(s.item), attempt, err: message };
        if (final) {
          hold = { action: 'failed', error: message };
          log.warn(context, 'record failed; retries exhausted');
        } else {
          retry.push(s.item);
          retryReason ||= message;
          log.info(context, 'attempt failed; will retry');
        }
      }
      rows.push(auditEntry(job, data, s.item, attempt, audited));
      actions[audited.action] = (actions[audited.action] ?? 0) + 1;
      if (hold) held.push({ ...s.item, held: hold });
    }
    await rt.store.appendAudit(rows);
    for (const row of rows)
      rt.metrics?.records.inc({ action: row.action, direction: data.direction, connection: data.connection });

    if (retry.length > 0) {
      await job.updateData({ ...data, records: [...retry, ...held] });
      if (pauseMs > 0) {
        // Pause the whole queue for every worker instead of burning these records' attempts.
        await rt.queues.records.rateLimit(pauseMs);
        throw new RateLimitError();
      }
      throw new Error(`${retry.length} of ${todo.length} records will be retried: ${retryReason}`);
    }
    if (held.length > 0) {
      await job.updateData({ ...data, records: held });
      throw heldError(held);
    }
    return { actions };
  };
}

/** Fails the job for good, keeping its held records (each was logged and audited) for replay. */
function heldError(held: readonly RecordItem[]): Error {
  const first = held[0] as RecordItem;
  return new UnrecoverableError(
    `${held.length} record(s) for a person, e.g. ${keyOf(first)} ${first.held?.action}: ${first.held?.error}`,
  );
}

function isPermanent(err: unknown): boolean {
  if (isSahutError(err)) return err.permanent;
  return typeof err === 'object' && err !== null && 'permanent' in err && err.permanent === true;
}

function auditEntry(job: Job, data: RecordJob, item: RecordItem, attempt: number, o: Audited): AuditEntry {
  return {
    runId: data.runId,
    jobId: job.id ?? null,
    connection: data.connection,
    direction: data.direction,
    crmId: keyOf(item),
    // A write-back job knows its Sahut contact even when the attempt failed.
    sahutId: o.sahutId ?? ('sahutId' in item ? item.sahutId : null),
    action: o.action,
    diff: o.diff,
    error: o.error,
    attempt,
    ...(o.detail === undefined ? {} : { detail: o.detail }),
  };
}
