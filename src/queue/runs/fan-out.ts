import type { Job } from 'bullmq';
import type { Direction } from '../../domain/index.ts';
import type { AuditEntry } from '../../store/types.ts';
import { keyOf, type RecordItem, type RecordJob, recordJobId } from '../jobs.ts';
import type { Runtime } from '../runtime.ts';

type Match = 'search' | 'index';

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
  let items: { item: RecordItem; match: Match }[] = [];
  let unreadable = 0;
  return {
    /**
     * Notes that this page read these records (with their content hashes, when known);
     * returns the ids to handle: new to the run, or changed since the run read them.
     */
    async read(
      crmIds: readonly string[],
      unidentified = 0,
      hashes?: readonly (string | null)[],
    ): Promise<Set<string>> {
      // The store counts the records into the run's total as it notes them; unreadable rows are counted here.
      const { fresh } = await rt.store.addRunRecords(runId, window, crmIds, hashes);
      unreadable += unidentified;
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
    /**
     * A record to hand to a record job; the page's records go out in batches of
     * `RECORD_BATCH_SIZE`, one matching mode per batch (CRM→Sahut).
     */
    child(item: RecordItem, match: Match = 'search') {
      items.push({ item, match });
    },
    async flush() {
      const [rows, records] = [audit, unreadable];
      const size = rt.config.worker.batchSize;
      const jobs = [];
      for (const match of ['search', 'index'] as const) {
        const mine = items.filter((i) => i.match === match).map((i) => i.item);
        for (let i = 0; i < mine.length; i += size) {
          const batch = mine.slice(i, i + size);
          const data = {
            direction,
            runId,
            connection,
            records: batch,
            ...(direction === 'crm-to-sahut' ? { match } : {}),
          } as RecordJob;
          const jobId = recordJobId(runId, window, keyOf(batch[0] as RecordItem));
          jobs.push({ name: direction, data, opts: { jobId, parent, ...rt.recordJobOptions } });
        }
      }
      audit = [];
      items = [];
      unreadable = 0;
      if (rows.length) await rt.store.appendAudit(rows);
      for (const a of rows) rt.metrics?.records.inc({ action: a.action, direction, connection });
      for (let i = 0; i < jobs.length; i += CHUNK) await rt.queues.records.addBulk(jobs.slice(i, i + CHUNK));
      if (records > 0) await rt.store.addRunTotal(runId, records);
    },
  };
}
