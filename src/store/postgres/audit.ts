import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditedEntry } from '../attention-state.ts';
import { auditConditions, auditFetchSize, checkBucket, toAuditPage } from '../audit-query.ts';
import { auditBucketRowSchema, auditRowSchema, bigintText, timestamp } from '../rows.ts';
import type { AuditBucket, AuditEntry, AuditPage, AuditQuery, NewAttention } from '../types.ts';
import { maintainAttention } from './attention.ts';
import { inTransaction, type PgContext, query as run } from './context.ts';

/**
 * One INSERT for the whole batch: each column travels as one array parameter
 * and `unnest … with ordinality` turns them back into rows, in order, so ids
 * follow the order of `entries`. The database stamps `at`. The attention
 * listing is kept in the same transaction.
 */
export async function appendAudit(ctx: PgContext, entries: readonly AuditEntry[]): Promise<NewAttention[]> {
  if (entries.length === 0) return [];
  // Drawn once, outside the retries: a retry of a batch whose COMMIT landed inserts nothing.
  const keys = entries.map(() => randomUUID());
  return inTransaction(ctx.pool, async (client) => {
    const { rows } = await client.query(
      `insert into ${ctx.schema}.audit
       (run_id, job_id, connection, direction, crm_id, sahut_id, action, diff, error, attempt, detail, write_key)
     select run_id, job_id, connection, direction, crm_id, sahut_id, action, diff, error, attempt, detail, write_key
     from unnest(
       $1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
       $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::int[], $11::jsonb[], $12::uuid[]
     ) with ordinality
       as entry(run_id, job_id, connection, direction, crm_id, sahut_id, action, diff, error, attempt, detail,
                write_key, position)
     order by position
     on conflict (write_key) where write_key is not null do nothing
     returning id, at`,
      [
        entries.map((e) => e.runId),
        entries.map((e) => e.jobId),
        entries.map((e) => e.connection),
        entries.map((e) => e.direction),
        entries.map((e) => e.crmId),
        entries.map((e) => e.sahutId),
        entries.map((e) => e.action),
        entries.map((e) => (e.diff === null ? null : JSON.stringify(e.diff))),
        entries.map((e) => e.error),
        entries.map((e) => e.attempt),
        entries.map((e) => (e.detail === undefined || e.detail === null ? null : JSON.stringify(e.detail))),
        keys,
      ],
    );
    // The batch's first COMMIT landed and its reply was lost: every row, and the listing, is there.
    // (One statement inserts all of its rows or none.) Its alert, never sent, is not sent now.
    if (rows.length === 0) return [];
    // One statement numbers its rows in the order it inserts them: ascending ids follow `entries`.
    const stamped = rows
      .map((row) => insertedSchema.parse(row))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const audited = entries.map((entry, i): AuditedEntry => {
      const { id, at } = stamped[i] as { id: string; at: Date };
      return { ...entry, id, at };
    });
    return maintainAttention(ctx, client, audited);
  });
}

const insertedSchema = z.object({ id: bigintText, at: timestamp });

/** Newest first; the WHERE clause is built from the shared condition list, values bound as $n. */
export async function queryAudit(ctx: PgContext, query: AuditQuery): Promise<AuditPage> {
  const fetchSize = auditFetchSize(query);
  const conditions = auditConditions(query);
  const where = conditions.map((c, i) => `${c.column} ${c.operator} $${i + 1}`).join(' and ') || 'true';
  const { rows } = await run(
    ctx,
    `select id, run_id, job_id, connection, direction, crm_id, sahut_id, action, diff, error, attempt, at, detail
     from ${ctx.schema}.audit
     where ${where}
     order by id desc
     limit $${conditions.length + 1}`,
    [...conditions.map((c) => c.value), fetchSize],
  );
  return toAuditPage(
    rows.map((row) => auditRowSchema.parse(row)),
    query.limit,
  );
}

/**
 * One pass over the run's rows (the run_id index). `at` has microseconds:
 * truncated to whole milliseconds, as SQLite stores them, before bucketing.
 */
export async function auditTimeline(ctx: PgContext, runId: string, bucketMs: number): Promise<AuditBucket[]> {
  const { rows } = await run(
    ctx,
    `select (floor(extract(epoch from at) * 1000)::bigint / $2) * $2 as start, action, count(*) as rows
     from ${ctx.schema}.audit
     where run_id = $1
     group by start, action
     order by start, action`,
    [runId, checkBucket(bucketMs)],
  );
  return rows.map((row) => auditBucketRowSchema.parse(row));
}
