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
import { nowSqlTime, type SqliteDatabase } from './database.ts';

export function noteRemovals(
  db: SqliteDatabase,
  connection: string,
  runId: string,
  removals: readonly NewRemoval[],
): void {
  const upsert = db.statement(
    `insert into removals as r (connection, crm_id, side, sahut_id, reason, state, run_id, first_at, at)
     values (:connection, :crmId, :side, :sahutId, :reason, 'due', :runId, :now, :now)
     on conflict (connection, crm_id, side) do update
       set reason = excluded.reason, sahut_id = excluded.sahut_id, run_id = excluded.run_id, at = excluded.at,
           state = case when r.state = 'flagged' then r.state else 'due' end`,
  );
  const now = nowSqlTime();
  db.transaction(() => {
    for (const r of removals) upsert.run({ connection, runId, now, ...r });
  });
}

const LISTED = 'exists (select 1 from run_records b where b.run_id = :runId and b.crm_id = l.crm_id)';
/**
 * A link written since the run began was written by a sync that had just seen both sides (a
 * walk-in created, a record linked while the run read past it): its absence from the run proves
 * nothing.
 */
const LINKED_BEFORE = 'l.synced_at < (select started_at from runs where id = :runId)';

export function countScanMisses(db: SqliteDatabase, connection: string, runId: string): void {
  const reset = db.statement(
    `delete from removals
     where connection = :connection and side = 'sahut' and reason = 'missing' and state = 'counting'
       and crm_id in (select l.crm_id from links l where l.connection = :connection and ${LISTED})`,
  );
  const miss = db.statement(
    `insert into removals as r (connection, crm_id, side, sahut_id, reason, misses, state, run_id, first_at, at)
     select l.connection, l.crm_id, 'sahut', l.sahut_id, 'missing', 1,
            case when 1 >= :gone then 'due' else 'counting' end, :runId, :now, :now
     from links l where l.connection = :connection and not ${LISTED} and ${LINKED_BEFORE}
     on conflict (connection, crm_id, side) do update
       set misses = r.misses + 1, run_id = excluded.run_id, at = excluded.at,
           state = case when r.state = 'counting' and r.misses + 1 >= :gone then 'due' else r.state end
       where r.run_id <> excluded.run_id`,
  );
  db.transaction(() => {
    reset.run({ connection, runId });
    miss.run({ connection, runId, gone: MISSES_TO_GONE, now: nowSqlTime() });
  });
}

export function noteAbsentRecords(db: SqliteDatabase, connection: string, runId: string): void {
  db.statement(
    `insert into removals (connection, crm_id, side, sahut_id, reason, state, run_id, first_at, at)
     select l.connection, l.crm_id, 'crm', l.sahut_id, 'absent', 'due', :runId, :now, :now
     from links l where l.connection = :connection and not ${LISTED} and ${LINKED_BEFORE}
     on conflict (connection, crm_id, side) do nothing`,
  ).run({ connection, runId, now: nowSqlTime() });
}

export function listRemovals(
  db: SqliteDatabase,
  connection: string,
  state: RemovalState,
  after: { crmId: string; side: RemovalSide } | null,
  limit: number,
): Removal[] {
  return db
    .statement(
      `select ${REMOVAL_COLUMNS} from removals
       where connection = :connection and state = :state
         and (:crmId is null or crm_id > :crmId or (crm_id = :crmId and side > :side))
       order by crm_id, side limit :limit`,
    )
    .all({ connection, state, crmId: after?.crmId ?? null, side: after?.side ?? '', limit })
    .map((row) => removalRowSchema.parse(row));
}

export function countRemovals(db: SqliteDatabase, connection: string, state: RemovalState): number {
  const row = db
    .statement('select count(*) as n from removals where connection = :connection and state = :state')
    .get({ connection, state });
  return countRowSchema.parse(row).n;
}

export function getRemoval(db: SqliteDatabase, connection: string, crmId: string, side: RemovalSide) {
  const row = db
    .statement(
      `select ${REMOVAL_COLUMNS} from removals where connection = :connection and crm_id = :crmId and side = :side`,
    )
    .get({ connection, crmId, side });
  return row ? removalRowSchema.parse(row) : null;
}

export function setRemoval(
  db: SqliteDatabase,
  connection: string,
  crmId: string,
  side: RemovalSide,
  change: { state: RemovalState; decision?: RemovalDecision | null },
): void {
  db.statement(
    `update removals set state = :state, at = :now,
       decision = case when :setDecision then :decision else decision end
     where connection = :connection and crm_id = :crmId and side = :side`,
  ).run({
    connection,
    crmId,
    side,
    state: change.state,
    setDecision: change.decision !== undefined ? 1 : 0,
    decision: change.decision ?? null,
    now: nowSqlTime(),
  });
}

export function dropRemovals(
  db: SqliteDatabase,
  connection: string,
  keys: readonly { crmId: string; side: RemovalSide }[],
): void {
  const drop = db.statement(
    'delete from removals where connection = :connection and crm_id = :crmId and side = :side',
  );
  db.transaction(() => {
    for (const k of keys) drop.run({ connection, crmId: k.crmId, side: k.side });
  });
}

export function closeLink(
  db: SqliteDatabase,
  connection: string,
  crmId: string,
  closure: { reason: string; runId: string },
): Link | null {
  const remove = db.statement(
    `delete from links where connection = :connection and crm_id = :crmId returning ${LINK_COLUMNS}`,
  );
  const keep = db.statement(
    `insert into closed_links (connection, crm_id, sahut_id, reason, run_id, closed_at)
     values (:connection, :crmId, :sahutId, :reason, :runId, :now)
     on conflict (connection, crm_id, sahut_id) do update
       set reason = excluded.reason, run_id = excluded.run_id, closed_at = excluded.closed_at`,
  );
  return db.transaction(() => {
    const row = remove.get({ connection, crmId });
    if (!row) return null;
    const link = linkRowSchema.parse(row);
    keep.run({ connection, crmId, sahutId: link.sahutId, ...closure, now: nowSqlTime() });
    return link;
  });
}

export function closedContacts(db: SqliteDatabase, connection: string, sahutIds: readonly string[]) {
  if (sahutIds.length === 0) return new Set<string>();
  const rows = db
    .statement(
      `select distinct c.sahut_id from closed_links c
       where c.connection = :connection and c.sahut_id in (select value from json_each(:ids))
         and not exists (select 1 from links l where l.connection = c.connection and l.sahut_id = c.sahut_id)`,
    )
    .all({ connection, ids: JSON.stringify(sahutIds) });
  return new Set(rows.map((row) => sahutIdRowSchema.parse(row).sahut_id));
}
