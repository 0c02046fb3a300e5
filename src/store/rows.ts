import { z } from 'zod';
import { contactSchema, DIRECTIONS } from '../domain/index.ts';
import {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditBucket,
  type AuditRow,
  type Link,
  type Run,
} from './types.ts';

// Row schemas shared by both backends. Each column type accepts what either
// driver hands back: PostgreSQL gives Date, jsonb objects and int8 as strings;
// SQLite gives ISO text, JSON text, numbers and 0/1 booleans.

export const timestamp = z.union([z.date(), z.string()]).pipe(z.coerce.date());
export const integer = z
  .union([z.number(), z.bigint(), z.string().regex(/^-?\d+$/)])
  .transform(Number)
  .pipe(z.number().int());
export const bigintText = z
  .union([z.string().regex(/^\d+$/), z.number().int(), z.bigint()])
  .transform(String);
const flag = z.union([z.boolean(), z.literal(0).transform(() => false), z.literal(1).transform(() => true)]);

/** A JSON column: already parsed (PostgreSQL jsonb) or JSON text (SQLite). */
export function json<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === 'string' ? parseJson(value) : value), schema);
}
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // left for the schema to reject with a readable issue
  }
}

const fieldDiffSchema = z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() }));

export const linkRowSchema = z
  .object({
    connection: z.string(),
    crm_id: z.string(),
    sahut_id: z.string(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    base: json(contactSchema),
    crm_hash: z.string(),
    sahut_hash: z.string(),
    synced_at: timestamp,
    written_run: z.string().nullable(),
    written_action: z.enum(AUDIT_ACTIONS).nullable(),
  })
  .transform(
    (r): Link => ({
      connection: r.connection,
      crmId: r.crm_id,
      sahutId: r.sahut_id,
      phone: r.phone,
      email: r.email,
      base: r.base,
      crmHash: r.crm_hash,
      sahutHash: r.sahut_hash,
      syncedAt: r.synced_at,
      ...(r.written_run && r.written_action
        ? { writtenBy: { runId: r.written_run, action: r.written_action } }
        : {}),
    }),
  );

export const auditRowSchema = z
  .object({
    id: bigintText,
    run_id: z.string(),
    job_id: z.string().nullable(),
    connection: z.string(),
    direction: z.enum(DIRECTIONS),
    crm_id: z.string().nullable(),
    sahut_id: z.string().nullable(),
    action: z.enum(AUDIT_ACTIONS),
    diff: json(fieldDiffSchema.nullable()),
    error: z.string().nullable(),
    attempt: integer,
    at: timestamp,
    detail: json(z.unknown()).optional(),
  })
  .transform(
    (r): AuditRow => ({
      id: r.id,
      runId: r.run_id,
      jobId: r.job_id,
      connection: r.connection,
      direction: r.direction,
      crmId: r.crm_id,
      sahutId: r.sahut_id,
      action: r.action,
      diff: r.diff,
      error: r.error,
      attempt: r.attempt,
      at: r.at,
      detail: r.detail ?? null,
    }),
  );

export const runRowSchema = z
  .object({
    id: z.string(),
    connection: z.string(),
    direction: z.enum(DIRECTIONS),
    dry_run: flag,
    job_id: z.string().nullable(),
    status: z.enum(['running', 'succeeded', 'failed']),
    note: z.string().nullable(),
    match: z.string().nullable(),
    calls_saved: integer.nullable(),
    started_at: timestamp,
    finished_at: timestamp.nullable(),
    total: integer,
  })
  .transform(
    (r): Omit<Run, 'counts'> => ({
      id: r.id,
      connection: r.connection,
      direction: r.direction,
      dryRun: r.dry_run,
      jobId: r.job_id,
      status: r.status,
      note: r.note,
      match: r.match,
      callsSaved: r.calls_saved,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      total: r.total,
    }),
  );

/** One line of the "records per final action" tally of a run. */
export const runCountRowSchema = z.object({
  run_id: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  records: integer,
});

/** One interval and action of a run's timeline; `start` in milliseconds since the epoch. */
export const auditBucketRowSchema = z
  .object({ start: integer, action: z.enum(AUDIT_ACTIONS), rows: integer })
  .transform((r): AuditBucket => ({ start: new Date(r.start), action: r.action, rows: r.rows }));

export const cursorRowSchema = z.object({ cursor: z.string() });
export const runProgressRowSchema = z.object({ total: integer, settled: integer });
export const fullReadRowSchema = z.object({ at: timestamp });
export const crmIdRowSchema = z.object({ crm_id: z.string() });
export const addedRowSchema = z.object({ crm_id: z.string(), inserted: z.boolean() });
export const duplicatePairRowSchema = z.object({
  a: z.string(),
  b: z.string(),
  by: z.enum(['phone', 'email']),
});
export const indexedContactRowSchema = z.object({ contact: json(z.unknown()) });
export const sahutScanRowSchema = z
  .object({
    id: z.string(),
    started_at: timestamp,
    finished_at: timestamp.nullable(),
    contacts: integer,
    pages: integer,
  })
  .transform((r) => ({
    id: r.id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    contacts: r.contacts,
    pages: r.pages,
  }));
export const carriedRowSchema = z
  .object({ crm_id: z.string(), failures: integer, run_id: z.string() })
  .transform((r) => ({ crmId: r.crm_id, failures: r.failures, runId: r.run_id }));

/** Attaches each run's tally; runs without audit rows get `{}`. */
export function withCounts(
  runs: readonly Omit<Run, 'counts'>[],
  countRows: readonly z.infer<typeof runCountRowSchema>[],
): Run[] {
  const counts = new Map<string, Partial<Record<AuditAction, number>>>();
  for (const row of countRows) {
    const tally = counts.get(row.run_id) ?? {};
    tally[row.action] = row.records;
    counts.set(row.run_id, tally);
  }
  return runs.map((run) => ({ ...run, counts: counts.get(run.id) ?? {} }));
}
