import { carriedRowSchema, crmIdRowSchema } from '../rows.ts';
import type { Carried, Carry, RunRecordsAdded } from '../types.ts';
import { nowSqlTime, type SqliteDatabase } from './database.ts';

// The latest audit row of each record the run read; a record without one has none yet.
const LATEST = `
  select r.crm_id, r.window_no, (
    select a.action from audit a
    where a.crm_id = r.crm_id and a.run_id = r.run_id
    order by a.id desc limit 1
  ) as action
  from run_records r
  where r.run_id = :runId`;

export function addRunRecords(
  db: SqliteDatabase,
  runId: string,
  window: number,
  crmIds: readonly string[],
  hashes?: readonly (string | null)[],
): RunRecordsAdded {
  // A window read again (its run job was retried) gets its records back; another window's stay out.
  const readBefore = db.statement(
    'select window_no, hash from run_records where run_id = :runId and crm_id = :crmId',
  );
  const insert = db.statement(
    'insert into run_records (run_id, crm_id, window_no, hash) values (:runId, :crmId, :window, :hash)',
  );
  const move = db.statement(
    'update run_records set window_no = :window, hash = :hash where run_id = :runId and crm_id = :crmId',
  );
  // One row per record: a record listed twice keeps its last hash.
  const byId = new Map(crmIds.map((id, i) => [id, hashes?.[i] ?? null]));
  // The run's total grows in the same transaction, so a run job that dies after reading cannot leave it behind.
  const count = db.statement('update runs set total = total + :added where id = :runId');
  return db.transaction(() => {
    const result: RunRecordsAdded = { fresh: [], added: 0 };
    for (const [crmId, hash] of byId) {
      const row = readBefore.get({ runId, crmId });
      if (row === undefined) {
        insert.run({ runId, crmId, window, hash });
        result.added++;
      } else if (Number(row.window_no) !== window) {
        // Read in another window: taken again only when it changed since (an edit during the run).
        if ((row.hash ?? null) === hash) continue;
        move.run({ runId, crmId, window, hash });
      }
      result.fresh.push(crmId);
    }
    if (result.added > 0) count.run({ runId, added: result.added });
    return result;
  });
}

export function unaccounted(db: SqliteDatabase, runId: string, window?: number): string[] {
  return db
    .statement(
      `select crm_id from (${LATEST}) where (:window is null or window_no = :window)
         and (action is null or action = 'retrying')
       order by crm_id`,
    )
    .all({ runId, window: window ?? null })
    .map((row) => crmIdRowSchema.parse(row).crm_id);
}

/** Idempotent per run: settling the same window twice counts its failures once. */
export function settleRunRecords(db: SqliteDatabase, runId: string, window: number, carry: Carry): void {
  const scope = { connection: carry.connection, direction: carry.direction, runId, window };
  db.transaction(() => {
    db.statement(
      `insert into carried (connection, direction, crm_id, run_id, failures, at)
       select :connection, :direction, crm_id, :runId, 1, :at from (${LATEST})
       where window_no = :window and action = 'failed'
       on conflict (connection, direction, crm_id) do update
         set failures = carried.failures + 1, run_id = excluded.run_id, at = excluded.at
         where carried.run_id <> excluded.run_id`,
    ).run({ ...scope, at: nowSqlTime() });
    db.statement(
      `delete from carried
       where connection = :connection and direction = :direction
         and crm_id in (
           select crm_id from (${LATEST}) as books
           where window_no = :window and (action is null or action <> 'failed' or (
             select failures from carried c
             where c.connection = :connection and c.direction = :direction and c.crm_id = books.crm_id
           ) > :maxCarries)
         )`,
    ).run({ ...scope, maxCarries: carry.maxCarries });
  });
}

export function dropRunRecords(db: SqliteDatabase, runId: string): void {
  db.statement('delete from run_records where run_id = :runId').run({ runId });
}

export function listCarried(
  db: SqliteDatabase,
  connection: string,
  direction: string,
  afterCrmId: string | null,
  limit: number,
): Carried[] {
  return db
    .statement(
      `select crm_id, failures, run_id from carried
       where connection = :connection and direction = :direction
         and (:afterCrmId is null or crm_id > :afterCrmId)
       order by crm_id
       limit :limit`,
    )
    .all({ connection, direction, afterCrmId, limit })
    .map((row) => carriedRowSchema.parse(row));
}
