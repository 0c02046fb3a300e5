import type { Direction } from '../../domain/index.ts';
import { decisionRowSchema } from '../attention-rows.ts';
import type { Decision } from '../attention-types.ts';
import { type PgContext, query } from './context.ts';

export async function getDecision(
  ctx: PgContext,
  connection: string,
  crmId: string,
): Promise<Decision | null> {
  const { rows } = await query(
    ctx,
    `select connection, crm_id, decision, sahut_id, ruled_out, decided_by, decided_at from ${ctx.schema}.decisions
     where connection = $1 and crm_id = $2`,
    [connection, crmId],
  );
  return rows[0] ? decisionRowSchema.parse(rows[0]) : null;
}

/** The decisions on several records of a connection, in one query (a record job's batch). */
export async function getDecisions(
  ctx: PgContext,
  connection: string,
  crmIds: readonly string[],
): Promise<Map<string, Decision>> {
  if (crmIds.length === 0) return new Map();
  const { rows } = await query(
    ctx,
    `select connection, crm_id, decision, sahut_id, ruled_out, decided_by, decided_at from ${ctx.schema}.decisions
     where connection = $1 and crm_id = any($2::text[])`,
    [connection, crmIds],
  );
  return new Map(rows.map((row) => decisionRowSchema.parse(row)).map((d) => [d.crmId, d]));
}

/** The latest decision on a record replaces any earlier one. */
export async function saveDecision(ctx: PgContext, d: Decision): Promise<void> {
  await query(
    ctx,
    `insert into ${ctx.schema}.decisions (connection, crm_id, decision, sahut_id, ruled_out, decided_by, decided_at)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (connection, crm_id) do update set decision = excluded.decision, sahut_id = excluded.sahut_id,
       ruled_out = excluded.ruled_out, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
    [
      d.connection,
      d.crmId,
      d.kind,
      d.kind === 'link' ? d.sahutId : null,
      d.kind === 'create' ? JSON.stringify(d.ruledOut) : null,
      d.by,
      d.at,
    ],
  );
}

export async function addCarried(
  ctx: PgContext,
  connection: string,
  direction: Direction,
  crmIds: readonly string[],
  runId: string,
): Promise<void> {
  if (crmIds.length === 0) return;
  await query(
    ctx,
    `insert into ${ctx.schema}.carried (connection, direction, crm_id, run_id, failures)
     select $1, $2, crm_id, $4, 0 from unnest($3::text[]) as ids(crm_id)
     on conflict (connection, direction, crm_id) do nothing`,
    [connection, direction, [...new Set(crmIds)], runId],
  );
}
