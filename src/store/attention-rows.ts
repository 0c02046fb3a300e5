import { z } from 'zod';
import { DIRECTIONS } from '../domain/index.ts';
import type { AttentionState } from './attention-state.ts';
import {
  ATTENTION_ACTIONS,
  ATTENTION_KINDS,
  type AttentionEntry,
  type AttentionPage,
  type Decision,
} from './attention-types.ts';
import { StoreArgumentError } from './errors.ts';
import { checkLimit, MAX_PAGE } from './limits.ts';
import { bigintText, integer, json, timestamp } from './rows.ts';

// Row schemas of the attention and decisions tables, shared by both backends (see rows.ts).

const pendingSchema = z
  .object({
    action: z.enum(ATTENTION_ACTIONS),
    by: z.string(),
    at: z.coerce.date(),
    candidate: z.string().optional(),
  })
  .nullable();

export const attentionRowSchema = z
  .object({
    connection: z.string(),
    record_key: z.string(),
    kind: z.enum(ATTENTION_KINDS),
    direction: z.enum(DIRECTIONS),
    crm_id: z.string().nullable(),
    sahut_id: z.string().nullable(),
    run_id: z.string(),
    audit_id: bigintText,
    error: z.string().nullable(),
    attempt: integer,
    detail: json(z.unknown()).nullable(),
    fingerprint: z.string(),
    first_at: timestamp,
    at: timestamp,
    times: integer,
    acked_fingerprint: z.string().nullable(),
    acked_by: z.string().nullable(),
    acked_at: timestamp.nullable(),
    pending: json(pendingSchema).nullable(),
  })
  .transform(
    (r): AttentionState => ({
      connection: r.connection,
      key: r.record_key,
      kind: r.kind,
      direction: r.direction,
      crmId: r.crm_id,
      sahutId: r.sahut_id,
      runId: r.run_id,
      auditId: r.audit_id,
      error: r.error,
      attempt: r.attempt,
      detail: r.detail ?? null,
      fingerprint: r.fingerprint,
      firstAt: r.first_at,
      at: r.at,
      times: r.times,
      ackedFingerprint: r.acked_fingerprint,
      ackedBy: r.acked_by,
      ackedAt: r.acked_at,
      pending: r.pending ?? null,
    }),
  );

export const ATTENTION_COLUMNS =
  'connection, record_key, kind, direction, crm_id, sahut_id, run_id, audit_id, error, attempt, detail, ' +
  'fingerprint, first_at, at, times, acked_fingerprint, acked_by, acked_at, pending';

/** What a person sees of a state: acknowledged or not, rather than fingerprints. */
export function toEntry(s: AttentionState): AttentionEntry {
  const acknowledged =
    s.ackedFingerprint === s.fingerprint && s.ackedBy && s.ackedAt ? { by: s.ackedBy, at: s.ackedAt } : null;
  return {
    connection: s.connection,
    id: s.key,
    kind: s.kind,
    direction: s.direction,
    crmId: s.crmId,
    sahutId: s.sahutId,
    runId: s.runId,
    auditId: s.auditId,
    error: s.error,
    attempt: s.attempt,
    detail: s.detail,
    since: s.firstAt,
    at: s.at,
    times: s.times,
    acknowledged,
    pending: s.pending,
  };
}

/** The query with its page size and cursor checked (the cursor is an audit id, as on /api/audit). */
export function checkAttentionQuery<Q extends { limit: number; cursor?: string }>(query: Q): Q {
  checkLimit('Attention page size', query.limit, MAX_PAGE);
  if (query.cursor !== undefined && !/^[1-9]\d{0,17}$/.test(query.cursor))
    throw new StoreArgumentError('Invalid attention cursor');
  return query;
}

/** Page size plus one row fetched: the extra one only tells whether another page exists. */
export function toAttentionPage(states: AttentionState[], limit: number): AttentionPage {
  const page = states.slice(0, limit).map(toEntry);
  const more = states.length > limit;
  return { entries: page, nextCursor: more ? (page.at(-1)?.auditId ?? null) : null };
}

/** Entries still hidden by an acknowledgement, or not; the SQL is the same on both backends. */
export function visibleCondition(acknowledged?: boolean): string {
  return acknowledged
    ? 'a.acked_fingerprint = a.fingerprint'
    : '(a.acked_fingerprint is null or a.acked_fingerprint <> a.fingerprint)';
}

export const decisionRowSchema = z
  .object({
    connection: z.string(),
    crm_id: z.string(),
    decision: z.enum(['link', 'create']),
    sahut_id: z.string().nullable(),
    ruled_out: json(z.array(z.string())).nullable(),
    decided_by: z.string(),
    decided_at: timestamp,
  })
  .transform((r): Decision => {
    const common = { connection: r.connection, crmId: r.crm_id, by: r.decided_by, at: r.decided_at };
    return r.decision === 'link'
      ? { ...common, kind: 'link', sahutId: r.sahut_id ?? '' }
      : { ...common, kind: 'create', ruledOut: r.ruled_out ?? [] };
  });

export const linkCountRowSchema = z.object({ connection: z.string(), links: integer });
export const attentionCountRowSchema = z.object({
  connection: z.string(),
  direction: z.enum(DIRECTIONS),
  kind: z.enum(ATTENTION_KINDS),
  records: integer,
});
