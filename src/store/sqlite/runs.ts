import { RunNotFoundError } from '../errors.ts';
import { runCountRowSchema, runProgressRowSchema, runRowSchema, withCounts } from '../rows.ts';
import type { Run, RunFilter, RunStatus } from '../types.ts';
import { nowSqlTime, type SqliteDatabase } from './database.ts';

const RUN_COLUMNS =
  'id, connection, direction, dry_run, job_id, status, note, match, calls_saved, started_at, finished_at, total';

/** Starting a run twice (a retried run job) keeps the first start. */
export function startRun(
  db: SqliteDatabase,
  run: Pick<Run, 'id' | 'connection' | 'direction' | 'dryRun'> & { jobId?: string | null },
): void {
  db.statement(
    `insert into runs (id, connection, direction, dry_run, job_id, status, started_at)
     values (:id, :connection, :direction, :dryRun, :jobId, 'running', :startedAt)
     on conflict (id) do nothing`,
  ).run({
    id: run.id,
    jobId: run.jobId ?? null,
    connection: run.connection,
    direction: run.direction,
    dryRun: run.dryRun ? 1 : 0,
    startedAt: nowSqlTime(),
  });
}

export function addRunTotal(db: SqliteDatabase, runId: string, records: number): void {
  const { changes } = db
    .statement('update runs set total = total + :records where id = :runId')
    .run({ runId, records });
  if (Number(changes) === 0) throw new RunNotFoundError(runId);
}

export function finishRun(
  db: SqliteDatabase,
  runId: string,
  status: Exclude<RunStatus, 'running'>,
  note: string | null = null,
): void {
  const { changes } = db
    .statement('update runs set status = :status, note = :note, finished_at = :finishedAt where id = :runId')
    .run({ runId, status, note, finishedAt: nowSqlTime() });
  if (Number(changes) === 0) throw new RunNotFoundError(runId);
}

export function getRun(db: SqliteDatabase, runId: string): Run | null {
  const row = db.statement(`select ${RUN_COLUMNS} from runs where id = :runId`).get({ runId });
  if (!row) return null;
  return withCounts([runRowSchema.parse(row)], countRecords(db, [runId]))[0] ?? null;
}

/** Newest first; rowid breaks ties between runs started in the same millisecond. */
export function listRuns(db: SqliteDatabase, filter: RunFilter): Run[] {
  const runs = db
    .statement(
      `select ${RUN_COLUMNS} from runs
       where (:connection is null or connection = :connection)
         and (:direction is null or direction = :direction)
         and (:status is null or status = :status)
       order by started_at desc, rowid desc
       limit :limit`,
    )
    .all({
      connection: filter.connection ?? null,
      direction: filter.direction ?? null,
      status: filter.status ?? null,
      limit: filter.limit,
    })
    .map((row) => runRowSchema.parse(row));
  return withCounts(
    runs,
    countRecords(
      db,
      runs.map((run) => run.id),
    ),
  );
}

/**
 * Per run and action, the records whose latest audit row (highest id) has
 * that action: a record that failed and then succeeded counts once, as
 * succeeded. Rows without a crm_id cannot be grouped and count one each.
 */
function countRecords(db: SqliteDatabase, runIds: readonly string[]) {
  if (runIds.length === 0) return [];
  return db
    .statement(
      `select run_id, action, count(*) as records
       from (
         select run_id, crm_id, action,
                row_number() over (partition by run_id, crm_id order by id desc) as recency
         from audit
         where run_id in (select value from json_each(:runIds))
       )
       where crm_id is null or recency = 1
       group by run_id, action`,
    )
    .all({ runIds: JSON.stringify(runIds) })
    .map((row) => runCountRowSchema.parse(row));
}

export function setRunMatch(db: SqliteDatabase, runId: string, match: string, callsSaved: number): void {
  const { changes } = db
    .statement('update runs set match = :match, calls_saved = :callsSaved where id = :runId')
    .run({ runId, match, callsSaved });
  if (Number(changes) === 0) throw new RunNotFoundError(runId);
}

export function runProgress(db: SqliteDatabase, runId: string, notSettled: readonly string[]) {
  const row = db
    .statement(
      `select r.total,
         (select count(*) from audit a
          where a.run_id = r.id and a.action not in (select value from json_each(:notSettled))) as settled
       from runs r where r.id = :runId`,
    )
    .get({ runId, notSettled: JSON.stringify(notSettled) });
  return row ? runProgressRowSchema.parse(row) : null;
}
