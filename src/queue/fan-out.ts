import type { Job } from 'bullmq';
import type { Direction } from '../domain/index.ts';
import type { AuditEntry } from '../store/types.ts';
import type { RecordJob } from './jobs.ts';
import type { Runtime } from './runtime.ts';

// addBulk is all-or-nothing per call; bounded chunks keep each Redis transaction small.
const CHUNK = 500;

/**
 * Collects, page by page, what a run settles itself (audit rows written in
 * bulk) and the record jobs it hands out as children of the run job. It also
 * keeps the run's books: every record read is noted in the store first, so the
 * run can later tell which records have no outcome, and a record read twice in
 * one run is handled and counted once.
 */
export function createFanOut(
  rt: Runtime,
  job: Job,
  runId: string,
  connection: string,
  direction: Direction,
  window: number,
) {
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  let audit: AuditEntry[] = [];
  let children: { name: string; data: RecordJob; opts: Record<string, unknown> }[] = [];
  let read = 0;
  return {
    /** Notes that this page read these records; returns the ids the run had not read before. */
    async read(crmIds: readonly string[], unidentified = 0): Promise<Set<string>> {
      const { fresh, added } = await rt.store.addRunRecords(runId, window, crmIds);
      read += added + unidentified;
      return new Set(fresh);
    },
    audit(crmId: string | null, action: AuditEntry['action'], extra: Partial<AuditEntry> = {}) {
      audit.push({
        runId,
        jobId: job.id ?? null,
        connection,
        direction,
        crmId,
        sahutId: null,
        action,
        diff: null,
        error: null,
        attempt: job.attemptsMade + 1,
        ...extra,
      });
    },
    child(jobId: string, data: RecordJob) {
      children.push({ name: direction, data, opts: { jobId, parent, ...rt.recordJobOptions } });
    },
    async flush() {
      const [rows, jobs, records] = [audit, children, read];
      audit = [];
      children = [];
      read = 0;
      if (rows.length) await rt.store.appendAudit(rows);
      for (const a of rows) rt.metrics?.records.inc({ action: a.action, direction, connection });
      for (let i = 0; i < jobs.length; i += CHUNK) await rt.queues.records.addBulk(jobs.slice(i, i + CHUNK));
      if (records > 0) await rt.store.addRunTotal(runId, records);
    },
  };
}
