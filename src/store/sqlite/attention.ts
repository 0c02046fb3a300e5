import {
  ATTENTION_COLUMNS,
  attentionCountRowSchema,
  attentionRowSchema,
  toAttentionPage,
  toEntry,
  visibleCondition,
} from '../attention-rows.ts';
import { type AttentionState, type AuditedEntry, applyAudit, keysOf, stateKey } from '../attention-state.ts';
import type {
  AttentionCount,
  AttentionEntry,
  AttentionPage,
  AttentionQuery,
  NewAttention,
} from '../attention-types.ts';
import type { SqliteDatabase } from './database.ts';
import { toSqlTime } from './database.ts';

const parse = (row: unknown) => attentionRowSchema.parse(row);

/**
 * Brings the listing up to date with rows just appended, inside appendAudit's
 * transaction (SQLite has one writer at a time, so nothing else interleaves).
 */
export function maintainAttention(db: SqliteDatabase, rows: readonly AuditedEntry[]): NewAttention[] {
  const read = db.statement(
    `select ${ATTENTION_COLUMNS} from attention where connection = :connection and record_key = :key`,
  );
  const states = new Map<string, AttentionState>();
  for (const row of rows) {
    for (const key of keysOf(row)) {
      const found = read.get({ connection: row.connection, key });
      if (found) states.set(stateKey(row.connection, key), parse(found));
    }
  }
  const { changed, added } = applyAudit(states, rows);
  const remove = db.statement('delete from attention where connection = :connection and record_key = :key');
  const upsert = db.statement(
    `insert or replace into attention (${ATTENTION_COLUMNS})
     values (:connection, :key, :kind, :direction, :crmId, :sahutId, :runId, :auditId, :error, :attempt,
             :detail, :fingerprint, :firstAt, :at, :times, :ackedFingerprint, :ackedBy, :ackedAt, :pending)`,
  );
  for (const [id, state] of changed) {
    const [connection, key] = id.split('\u0000') as [string, string];
    if (!state) remove.run({ connection, key });
    else upsert.run(toRow(state));
  }
  return added;
}

function toRow(s: AttentionState) {
  return {
    connection: s.connection,
    key: s.key,
    kind: s.kind,
    direction: s.direction,
    crmId: s.crmId,
    sahutId: s.sahutId,
    runId: s.runId,
    auditId: BigInt(s.auditId),
    error: s.error,
    attempt: s.attempt,
    detail: s.detail === null || s.detail === undefined ? null : JSON.stringify(s.detail),
    fingerprint: s.fingerprint,
    firstAt: toSqlTime(s.firstAt),
    at: toSqlTime(s.at),
    times: s.times,
    ackedFingerprint: s.ackedFingerprint,
    ackedBy: s.ackedBy,
    ackedAt: s.ackedAt ? toSqlTime(s.ackedAt) : null,
    pending: s.pending ? JSON.stringify(s.pending) : null,
  };
}

export function listAttention(db: SqliteDatabase, query: AttentionQuery): AttentionPage {
  const rows = db
    .statement(
      `select ${ATTENTION_COLUMNS} from attention a
       where ${visibleCondition(query.acknowledged)}
         and (:connection is null or a.connection = :connection)
         and (:kind is null or a.kind = :kind)
         and (:direction is null or a.direction = :direction)
         and (:cursor is null or a.audit_id < :cursor)
       order by a.audit_id desc
       limit :limit`,
    )
    .all({
      connection: query.connection ?? null,
      kind: query.kind ?? null,
      direction: query.direction ?? null,
      cursor: query.cursor === undefined ? null : BigInt(query.cursor),
      limit: query.limit + 1,
    })
    .map(parse);
  return toAttentionPage(rows, query.limit);
}

export function getAttention(db: SqliteDatabase, connection: string, key: string): AttentionEntry | null {
  const row = db
    .statement(
      `select ${ATTENTION_COLUMNS} from attention where connection = :connection and record_key = :key`,
    )
    .get({ connection, key });
  return row ? toEntry(parse(row)) : null;
}

export function countAttention(db: SqliteDatabase): AttentionCount[] {
  return db
    .statement(
      `select a.connection, a.direction, a.kind, count(*) as records from attention a
       where ${visibleCondition()}
       group by a.connection, a.direction, a.kind
       order by a.connection, a.direction, a.kind`,
    )
    .all()
    .map((row) => attentionCountRowSchema.parse(row));
}
