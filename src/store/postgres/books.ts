import { addedRowSchema, carriedRowSchema, crmIdRowSchema } from '../rows.ts';
import type { Carried, Carry, RunRecordsAdded } from '../types.ts';
import { inTransaction, type PgContext, query } from './context.ts';

// The latest audit row of each record the run read; a record without one has none yet.
const LATEST = (s: string) => `
  select r.crm_id, last.action
  from ${s}.run_records r
  left join lateral (
    select a.action from ${s}.audit a
    where a.crm_id = r.crm_id and a.run_id = r.run_id
    order by a.id desc limit 1
  ) last on true`;

export async function addRunRecords(
  ctx: PgContext,
  runId: string,
  window: number,
  crmIds: readonly string[],
  hashes?: readonly (string | null)[],
): Promise<RunRecordsAdded> {
  if (crmIds.length === 0) return { fresh: [], added: 0 };
  // One row per record: a record listed twice keeps its last hash.
  const byId = new Map(crmIds.map((id, i) => [id, hashes?.[i] ?? null]));
  // A window read again (its run job was retried) gets its records back; another window's stay out.
  // xmax = 0 tells a row inserted now from one updated in place; the run's total grows by those,
  // in the same statement, so a run job that dies after reading cannot leave its total behind.
  const s = ctx.schema;
  const { rows } = await query(
    ctx,
    `with added as (
       insert into ${s}.run_records as r (run_id, crm_id, window_no, hash)
       select $1, crm_id, $3, hash from unnest($2::text[], $4::text[]) as ids(crm_id, hash)
       on conflict (run_id, crm_id) do update set window_no = excluded.window_no, hash = excluded.hash
         where r.window_no = excluded.window_no or r.hash is distinct from excluded.hash
       returning crm_id, (xmax = 0) as inserted
     ), counted as (
       update ${s}.runs set total = total + (select count(*) from added where inserted) where id = $1
     )
     select crm_id, inserted from added`,
    [runId, [...byId.keys()], window, [...byId.values()]],
  );
  const parsed = rows.map((row) => addedRowSchema.parse(row));
  return { fresh: parsed.map((r) => r.crm_id), added: parsed.filter((r) => r.inserted).length };
}

export async function unaccounted(ctx: PgContext, runId: string, window?: number): Promise<string[]> {
  const { rows } = await query(
    ctx,
    `select crm_id from (${LATEST(ctx.schema)}
       where r.run_id = $1 and ($2::int is null or r.window_no = $2)) as books
     where action is null or action = 'retrying'
     order by crm_id`,
    [runId, window ?? null],
  );
  return rows.map((row) => crmIdRowSchema.parse(row).crm_id);
}

/** Idempotent per run: settling the same window twice counts its failures once. */
export async function settleRunRecords(ctx: PgContext, runId: string, window: number, carry: Carry) {
  const s = ctx.schema;
  await inTransaction(ctx.pool, async (client) => {
    const scope = [carry.connection, carry.direction, runId, window];
    await client.query(
      `insert into ${s}.carried (connection, direction, crm_id, run_id, failures)
       select $1, $2, crm_id, $3, 1 from (${LATEST(s)} where r.run_id = $3 and r.window_no = $4) as books
       where action = 'failed'
       on conflict (connection, direction, crm_id) do update
         set failures = ${s}.carried.failures + 1, run_id = excluded.run_id, at = now()
         where ${s}.carried.run_id <> excluded.run_id`,
      scope,
    );
    await client.query(
      `delete from ${s}.carried c
       using (${LATEST(s)} where r.run_id = $3 and r.window_no = $4) as books
       where c.connection = $1 and c.direction = $2 and c.crm_id = books.crm_id
         and (books.action <> 'failed' or c.failures > $5)`,
      [...scope, carry.maxCarries],
    );
  });
}

export async function dropRunRecords(ctx: PgContext, runId: string): Promise<void> {
  await query(ctx, `delete from ${ctx.schema}.run_records where run_id = $1`, [runId]);
}

export async function listCarried(
  ctx: PgContext,
  connection: string,
  direction: string,
  afterCrmId: string | null,
  limit: number,
): Promise<Carried[]> {
  const { rows } = await query(
    ctx,
    `select crm_id, failures, run_id from ${ctx.schema}.carried
     where connection = $1 and direction = $2 and ($3::text is null or crm_id > $3)
     order by crm_id
     limit $4`,
    [connection, direction, afterCrmId, limit],
  );
  return rows.map((row) => carriedRowSchema.parse(row));
}
