import type { Job } from 'bullmq';
import type { Direction } from '../domain/index.ts';
import type { AuditEntry } from '../store/types.ts';
import type { RecordJob } from './jobs.ts';
import type { Runtime } from './runtime.ts';

// addBulk is all-or-nothing per call; bounded chunks keep each Redis transaction small.
const CHUNK = 500;

/**
 * Collects, page by page, what a run settles itself (audit rows written in
 * bulk) and the record jobs it hands out as children of the run job.
 */
export function createFanOut(rt: Runtime, job: Job, runId: string, connection: string, direction: Direction) {
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  let audit: AuditEntry[] = [];
  let children: { name: string; data: RecordJob; opts: Record<string, unknown> }[] = [];
  return {
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
      const [rows, jobs] = [audit, children];
      audit = [];
      children = [];
      if (rows.length) await rt.store.appendAudit(rows);
      for (const a of rows) rt.metrics?.records.inc({ action: a.action, direction, connection });
      for (let i = 0; i < jobs.length; i += CHUNK) await rt.queues.records.addBulk(jobs.slice(i, i + CHUNK));
    },
  };
}
