import type { PoolClient } from 'pg';
import {
  ATTENTION_COLUMNS,
  attentionCountRowSchema,
  attentionRowSchema,
  toAttentionPage,
  toEntry,
  visibleCondition,
} from '../attention-rows.ts';
import {
  type AttentionState,
  type AuditedEntry,
  applyAudit,
  keysOf,
  raises,
  stateKey,
} from '../attention-state.ts';
import type {
  AttentionCount,
  AttentionEntry,
  AttentionPage,
  AttentionQuery,
  NewAttention,
} from '../attention-types.ts';
import { type PgContext, query } from './context.ts';

const parse = (row: unknown) => attentionRowSchema.parse(row);
const UPDATE_ALL = ATTENTION_COLUMNS.split(', ')
  .map((column) => `${column} = excluded.${column}`)
  .join(', ');

/**
 * Brings the listing up to date with rows just appended, in appendAudit's
 * transaction. Most batches (unchanged and synced records with nothing
 * listed) end after one read; a batch that changes the listing takes a lock
 * per connection first, so two workers never build on the same stale state.
 */
export async function maintainAttention(
  ctx: PgContext,
  client: PoolClient,
  rows: readonly AuditedEntry[],
): Promise<NewAttention[]> {
  const pairs = [...new Set(rows.flatMap((row) => keysOf(row).map((key) => stateKey(row.connection, key))))];
  if (pairs.length === 0) return [];
  let states = await readStates(ctx, client, pairs);
  if (states.size === 0 && !rows.some(raises)) return [];
  const connections = [...new Set(rows.map((row) => row.connection))].sort();
  for (const connection of connections)
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [
      `sahut-sync:attention:${ctx.schemaName}:${connection}`,
    ]);
  states = await readStates(ctx, client, pairs);
  const { changed, added } = applyAudit(states, rows);
  const gone = [...changed].filter(([, s]) => s === null).map(([id]) => id.split('\u0000'));
  const kept = [...changed.values()].filter((s): s is AttentionState => s !== null);
  if (gone.length > 0)
    await client.query(
      `delete from ${ctx.schema}.attention a using unnest($1::text[], $2::text[]) as g(connection, record_key)
       where a.connection = g.connection and a.record_key = g.record_key`,
      [gone.map(([c]) => c), gone.map(([, k]) => k)],
    );
  if (kept.length > 0) await upsert(ctx, client, kept);
  return added;
}

async function readStates(ctx: PgContext, client: PoolClient, pairs: readonly string[]) {
  const split = pairs.map((p) => p.split('\u0000') as [string, string]);
  const { rows } = await client.query(
    `select ${ATTENTION_COLUMNS} from ${ctx.schema}.attention
     where (connection, record_key) in (select * from unnest($1::text[], $2::text[]))`,
    [split.map(([c]) => c), split.map(([, k]) => k)],
  );
  return new Map(rows.map(parse).map((s) => [stateKey(s.connection, s.key), s]));
}

async function upsert(ctx: PgContext, client: PoolClient, states: readonly AttentionState[]) {
  const column = <T>(fn: (s: AttentionState) => T) => states.map(fn);
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  await client.query(
    `insert into ${ctx.schema}.attention (${ATTENTION_COLUMNS})
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::bigint[], $9::text[], $10::int[], $11::jsonb[], $12::text[], $13::timestamptz[], $14::timestamptz[],
       $15::int[], $16::text[], $17::text[], $18::timestamptz[], $19::jsonb[])
     on conflict (connection, record_key) do update set ${UPDATE_ALL}`,
    [
      column((s) => s.connection),
      column((s) => s.key),
      column((s) => s.kind),
      column((s) => s.direction),
      column((s) => s.crmId),
      column((s) => s.sahutId),
      column((s) => s.runId),
      column((s) => s.auditId),
      column((s) => s.error),
      column((s) => s.attempt),
      column((s) => json(s.detail)),
      column((s) => s.fingerprint),
      column((s) => s.firstAt),
      column((s) => s.at),
      column((s) => s.times),
      column((s) => s.ackedFingerprint),
      column((s) => s.ackedBy),
      column((s) => s.ackedAt),
      column((s) => json(s.pending)),
    ],
  );
}

export async function listAttention(ctx: PgContext, q: AttentionQuery): Promise<AttentionPage> {
  const { rows } = await query(
    ctx,
    `select ${ATTENTION_COLUMNS} from ${ctx.schema}.attention a
     where ${visibleCondition(q.acknowledged)}
       and ($1::text is null or a.connection = $1)
       and ($2::text is null or a.kind = $2)
       and ($3::text is null or a.direction = $3)
       and ($4::bigint is null or a.audit_id < $4)
     order by a.audit_id desc
     limit $5`,
    [q.connection ?? null, q.kind ?? null, q.direction ?? null, q.cursor ?? null, q.limit + 1],
  );
  return toAttentionPage(rows.map(parse), q.limit);
}

export async function getAttention(ctx: PgContext, connection: string, key: string) {
  const { rows } = await query(
    ctx,
    `select ${ATTENTION_COLUMNS} from ${ctx.schema}.attention where connection = $1 and record_key = $2`,
    [connection, key],
  );
  return rows[0] ? toEntry(parse(rows[0])) : (null as AttentionEntry | null);
}

export async function countAttention(ctx: PgContext): Promise<AttentionCount[]> {
  const { rows } = await query(
    ctx,
    `select a.connection, a.direction, a.kind, count(*) as records from ${ctx.schema}.attention a
     where ${visibleCondition()}
     group by a.connection, a.direction, a.kind
     order by a.connection, a.direction, a.kind`,
  );
  return rows.map((row) => attentionCountRowSchema.parse(row));
}
