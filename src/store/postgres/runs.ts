import { RunNotFoundError } from '../errors.ts';
import { runCountRowSchema, runProgressRowSchema, runRowSchema, withCounts } from '../rows.ts';
import type { Run, RunFilter, RunStatus } from '../types.ts';
import { type PgContext, query } from './context.ts';

const RUN_COLUMNS =
  'id, connection, direction, dry_run, job_id, status, note, match, calls_saved, started_at, finished_at, total';

/** Starting a run twice (a retried run job) keeps the first start. */
export async function startRun(
  ctx: PgContext,
  run: Pick<Run, 'id' | 'connection' | 'direction' | 'dryRun'> & { jobId?: string | null },
): Promise<void> {
  await query(
    ctx,
    `insert into ${ctx.schema}.runs (id, connection, direction, dry_run, job_id)
     values ($1, $2, $3, $4, $5)
     on conflict (id) do nothing`,
    [run.id, run.connection, run.direction, run.dryRun, run.jobId ?? null],
  );
}

export async function addRunTotal(ctx: PgContext, runId: string, records: number): Promise<void> {
  const { rowCount } = await query(ctx, `update ${ctx.schema}.runs set total = total + $2 where id = $1`, [
    runId,
    records,
  ]);
  if (rowCount === 0) throw new RunNotFoundError(runId);
}

export async function finishRun(
  ctx: PgContext,
  runId: string,
  status: Exclude<RunStatus, 'running'>,
  note: string | null = null,
): Promise<void> {
  const { rowCount } = await query(
    ctx,
    `update ${ctx.schema}.runs set status = $2, note = $3, finished_at = now() where id = $1`,
    [runId, status, note],
  );
  if (rowCount === 0) throw new RunNotFoundError(runId);
}

export async function getRun(ctx: PgContext, runId: string): Promise<Run | null> {
  const { rows } = await query(ctx, `select ${RUN_COLUMNS} from ${ctx.schema}.runs where id = $1`, [runId]);
  if (!rows[0]) return null;
  return withCounts([runRowSchema.parse(rows[0])], await countRecords(ctx, [runId]))[0] ?? null;
}

/** Newest first; seq breaks ties between runs started at the same instant. */
export async function listRuns(ctx: PgContext, filter: RunFilter): Promise<Run[]> {
  const { rows } = await query(
    ctx,
    `select ${RUN_COLUMNS} from ${ctx.schema}.runs
     where ($1::text is null or connection = $1)
       and ($2::text is null or direction = $2)
       and ($3::text is null or status = $3)
     order by started_at desc, seq desc
     limit $4`,
    [filter.connection ?? null, filter.direction ?? null, filter.status ?? null, filter.limit],
  );
  const runs = rows.map((row) => runRowSchema.parse(row));
  return withCounts(
    runs,
    await countRecords(
      ctx,
      runs.map((run) => run.id),
    ),
  );
}

/**
 * Per run and action, the records whose latest audit row (highest id) has
 * that action: a record that failed and then succeeded counts once, as
 * succeeded. Rows without a crm_id cannot be grouped and count one each.
 */
async function countRecords(ctx: PgContext, runIds: readonly string[]) {
  if (runIds.length === 0) return [];
  const { rows } = await query(
    ctx,
    `select run_id, action, count(*) as records
     from (
       select run_id, crm_id, action,
              row_number() over (partition by run_id, crm_id order by id desc) as recency
       from ${ctx.schema}.audit
       where run_id = any($1::text[])
     ) as attempts
     where crm_id is null or recency = 1
     group by run_id, action`,
    [runIds],
  );
  return rows.map((row) => runCountRowSchema.parse(row));
}

export async function setRunMatch(ctx: PgContext, runId: string, match: string, callsSaved: number) {
  const { rowCount } = await query(
    ctx,
    `update ${ctx.schema}.runs set match = $2, calls_saved = $3 where id = $1`,
    [runId, match, callsSaved],
  );
  if (rowCount === 0) throw new RunNotFoundError(runId);
}

export async function runProgress(ctx: PgContext, runId: string, notSettled: readonly string[]) {
  const { rows } = await query(
    ctx,
    `select r.total,
       (select count(*) from ${ctx.schema}.audit a where a.run_id = r.id and a.action <> all($2::text[])) as settled
     from ${ctx.schema}.runs r where r.id = $1`,
    [runId, notSettled],
  );
  return rows[0] ? runProgressRowSchema.parse(rows[0]) : null;
}
