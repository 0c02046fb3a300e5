import { LINK_COLUMNS } from '../link-sql.ts';
import { countRowSchema, REMOVAL_COLUMNS, removalRowSchema, sahutIdRowSchema } from '../removal-rows.ts';
import {
  MISSES_TO_GONE,
  type NewRemoval,
  type Removal,
  type RemovalSide,
  type RemovalState,
} from '../removal-types.ts';
import { linkRowSchema } from '../rows.ts';
import type { Link, RemovalDecision } from '../types.ts';
import { inTransaction, type PgContext, query } from './context.ts';

export async function noteRemovals(
  ctx: PgContext,
  connection: string,
  runId: string,
  removals: readonly NewRemoval[],
): Promise<void> {
  if (removals.length === 0) return;
  const s = ctx.schema;
  await query(
    ctx,
    `insert into ${s}.removals as r (connection, crm_id, side, sahut_id, reason, state, run_id)
     select $1, crm_id, side, sahut_id, reason, 'due', $2
     from unnest($3::text[], $4::text[], $5::text[], $6::text[]) as n(crm_id, side, sahut_id, reason)
     on conflict (connection, crm_id, side) do update
       set reason = excluded.reason, sahut_id = excluded.sahut_id, run_id = excluded.run_id, at = now(),
           state = case when r.state = 'flagged' then r.state else 'due' end`,
    [
      connection,
      runId,
      removals.map((r) => r.crmId),
      removals.map((r) => r.side),
      removals.map((r) => r.sahutId),
      removals.map((r) => r.reason),
    ],
  );
}

/**
 * A link written since run `$2` began was written by a sync that had just seen both sides (a
 * walk-in created, a record linked while the run read past it): its absence from the run proves
 * nothing.
 */
const linkedBefore = (s: string) => `l.synced_at < (select started_at from ${s}.runs where id = $2)`;

export async function countScanMisses(ctx: PgContext, connection: string, runId: string): Promise<void> {
  const s = ctx.schema;
  const listed = `exists (select 1 from ${s}.run_records b where b.run_id = $2 and b.crm_id = l.crm_id)`;
  await inTransaction(ctx.pool, async (client) => {
    // Listed again: the miss count starts over (a 404 or a decision stays).
    await client.query(
      `delete from ${s}.removals r using ${s}.links l
       where r.connection = $1 and r.side = 'sahut' and r.reason = 'missing' and r.state = 'counting'
         and l.connection = r.connection and l.crm_id = r.crm_id and ${listed}`,
      [connection, runId],
    );
    await client.query(
      `insert into ${s}.removals as r (connection, crm_id, side, sahut_id, reason, misses, state, run_id)
       select l.connection, l.crm_id, 'sahut', l.sahut_id, 'missing', 1,
              case when 1 >= $3::int then 'due' else 'counting' end, $2
       from ${s}.links l where l.connection = $1 and not ${listed} and ${linkedBefore(s)}
       on conflict (connection, crm_id, side) do update
         set misses = r.misses + 1, run_id = excluded.run_id, at = now(),
             state = case when r.state = 'counting' and r.misses + 1 >= $3::int then 'due' else r.state end
         where r.run_id <> excluded.run_id`,
      [connection, runId, MISSES_TO_GONE],
    );
  });
}

export async function noteAbsentRecords(ctx: PgContext, connection: string, runId: string): Promise<void> {
  const s = ctx.schema;
  await query(
    ctx,
    `insert into ${s}.removals as r (connection, crm_id, side, sahut_id, reason, state, run_id)
     select l.connection, l.crm_id, 'crm', l.sahut_id, 'absent', 'due', $2
     from ${s}.links l
     where l.connection = $1
       and not exists (select 1 from ${s}.run_records b where b.run_id = $2 and b.crm_id = l.crm_id)
       and ${linkedBefore(s)}
     on conflict (connection, crm_id, side) do nothing`,
    [connection, runId],
  );
}

export async function listRemovals(
  ctx: PgContext,
  connection: string,
  state: RemovalState,
  after: { crmId: string; side: RemovalSide } | null,
  limit: number,
): Promise<Removal[]> {
  const { rows } = await query(
    ctx,
    `select ${REMOVAL_COLUMNS} from ${ctx.schema}.removals
     where connection = $1 and state = $2 and ($3::text is null or (crm_id, side) > ($3::text, $4::text))
     order by crm_id, side limit $5`,
    [connection, state, after?.crmId ?? null, after?.side ?? '', limit],
  );
  return rows.map((row) => removalRowSchema.parse(row));
}

export async function countRemovals(ctx: PgContext, connection: string, state: RemovalState) {
  const { rows } = await query(
    ctx,
    `select count(*) as n from ${ctx.schema}.removals where connection = $1 and state = $2`,
    [connection, state],
  );
  return countRowSchema.parse(rows[0]).n;
}

export async function getRemoval(ctx: PgContext, connection: string, crmId: string, side: RemovalSide) {
  const { rows } = await query(
    ctx,
    `select ${REMOVAL_COLUMNS} from ${ctx.schema}.removals where connection = $1 and crm_id = $2 and side = $3`,
    [connection, crmId, side],
  );
  return rows[0] ? removalRowSchema.parse(rows[0]) : null;
}

export async function setRemoval(
  ctx: PgContext,
  connection: string,
  crmId: string,
  side: RemovalSide,
  change: { state: RemovalState; decision?: RemovalDecision | null },
): Promise<void> {
  await query(
    ctx,
    `update ${ctx.schema}.removals set state = $4, decision = case when $5::boolean then $6::text else decision end, at = now()
     where connection = $1 and crm_id = $2 and side = $3`,
    [connection, crmId, side, change.state, change.decision !== undefined, change.decision ?? null],
  );
}

export async function dropRemovals(
  ctx: PgContext,
  connection: string,
  keys: readonly { crmId: string; side: RemovalSide }[],
): Promise<void> {
  if (keys.length === 0) return;
  await query(
    ctx,
    `delete from ${ctx.schema}.removals r
     using unnest($2::text[], $3::text[]) as k(crm_id, side)
     where r.connection = $1 and r.crm_id = k.crm_id and r.side = k.side`,
    [connection, keys.map((k) => k.crmId), keys.map((k) => k.side)],
  );
}

export async function closeLink(
  ctx: PgContext,
  connection: string,
  crmId: string,
  closure: { reason: string; runId: string },
): Promise<Link | null> {
  const s = ctx.schema;
  return inTransaction(ctx.pool, async (client) => {
    const { rows } = await client.query(
      `delete from ${s}.links where connection = $1 and crm_id = $2 returning ${LINK_COLUMNS}`,
      [connection, crmId],
    );
    if (!rows[0]) return null;
    const link = linkRowSchema.parse(rows[0]);
    await client.query(
      `insert into ${s}.closed_links (connection, crm_id, sahut_id, reason, run_id) values ($1, $2, $3, $4, $5)
       on conflict (connection, crm_id, sahut_id) do update
         set reason = excluded.reason, run_id = excluded.run_id, closed_at = now()`,
      [connection, crmId, link.sahutId, closure.reason, closure.runId],
    );
    return link;
  });
}

export async function closedContacts(ctx: PgContext, connection: string, sahutIds: readonly string[]) {
  if (sahutIds.length === 0) return new Set<string>();
  const s = ctx.schema;
  const { rows } = await query(
    ctx,
    `select distinct c.sahut_id from ${s}.closed_links c
     where c.connection = $1 and c.sahut_id = any($2::text[])
       and not exists (select 1 from ${s}.links l where l.connection = c.connection and l.sahut_id = c.sahut_id)`,
    [connection, sahutIds],
  );
  return new Set(rows.map((row) => sahutIdRowSchema.parse(row).sahut_id));
}
