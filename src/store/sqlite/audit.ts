import type { AuditedEntry } from '../attention-state.ts';
import {
  type AuditCondition,
  auditConditions,
  auditFetchSize,
  checkBucket,
  toAuditPage,
} from '../audit-query.ts';
import { auditBucketRowSchema, auditRowSchema } from '../rows.ts';
import type { AuditBucket, AuditEntry, AuditPage, AuditQuery, NewAttention } from '../types.ts';
import { maintainAttention } from './attention.ts';
import { nowSqlTime, type SqliteDatabase, toSqlTime } from './database.ts';

/** All entries in one transaction, stamped with the same time, with the attention listing they change. */
export function appendAudit(db: SqliteDatabase, entries: readonly AuditEntry[]): NewAttention[] {
  if (entries.length === 0) return [];
  const at = nowSqlTime();
  const insert = db.statement(
    `insert into audit
       (run_id, job_id, connection, direction, crm_id, sahut_id, action, diff, error, attempt, at, detail)
     values
       (:runId, :jobId, :connection, :direction, :crmId, :sahutId, :action, :diff, :error, :attempt, :at, :detail)`,
  );
  return db.transaction(() => {
    const audited: AuditedEntry[] = [];
    for (const entry of entries) {
      const { lastInsertRowid } = insert.run({
        runId: entry.runId,
        jobId: entry.jobId,
        connection: entry.connection,
        direction: entry.direction,
        crmId: entry.crmId,
        sahutId: entry.sahutId,
        action: entry.action,
        diff: entry.diff === null ? null : JSON.stringify(entry.diff),
        error: entry.error,
        attempt: entry.attempt,
        at,
        detail: entry.detail === undefined || entry.detail === null ? null : JSON.stringify(entry.detail),
      });
      audited.push({ ...entry, id: String(lastInsertRowid), at: new Date(at) });
    }
    return maintainAttention(db, audited);
  });
}

/** Newest first; the WHERE clause is built from the shared condition list, values bound as `?`. */
export function queryAudit(db: SqliteDatabase, query: AuditQuery): AuditPage {
  const fetchSize = auditFetchSize(query);
  const conditions = auditConditions(query);
  const where = conditions.map((c) => `${c.column} ${c.operator} ?`).join(' and ') || 'true';
  const values = conditions.map(bindValue);
  const rows = db
    .statement(
      `select id, run_id, job_id, connection, direction, crm_id, sahut_id, action, diff, error, attempt, at, detail
       from audit
       where ${where}
       order by id desc
       limit ?`,
    )
    .all(...values, fetchSize)
    .map((row) => auditRowSchema.parse(row));
  return toAuditPage(rows, query.limit);
}

/**
 * One pass over the run's rows (the run_id index): `at` is ISO text with
 * milliseconds, so its epoch milliseconds are exact once rounded. The interval
 * is bound as a bigint: a JS number binds as a REAL, whose division would not truncate.
 */
export function auditTimeline(db: SqliteDatabase, runId: string, bucketMs: number): AuditBucket[] {
  return db
    .statement(
      `select (cast(round(unixepoch(at, 'subsec') * 1000) as integer) / :bucketMs) * :bucketMs as start,
              action, count(*) as rows
       from audit
       where run_id = :runId
       group by start, action
       order by start, action`,
    )
    .all({ runId, bucketMs: BigInt(checkBucket(bucketMs)) })
    .map((row) => auditBucketRowSchema.parse(row));
}

function bindValue(condition: AuditCondition): string | bigint {
  if (condition.value instanceof Date) return toSqlTime(condition.value);
  return condition.column === 'id' ? BigInt(condition.value) : condition.value;
}
