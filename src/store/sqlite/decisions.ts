import type { Direction } from '../../domain/index.ts';
import { decisionRowSchema } from '../attention-rows.ts';
import type { Decision } from '../attention-types.ts';
import { nowSqlTime, type SqliteDatabase, toSqlTime } from './database.ts';

export function getDecision(db: SqliteDatabase, connection: string, crmId: string): Decision | null {
  const row = db
    .statement(
      `select connection, crm_id, decision, sahut_id, ruled_out, decided_by, decided_at from decisions
       where connection = :connection and crm_id = :crmId`,
    )
    .get({ connection, crmId });
  return row ? decisionRowSchema.parse(row) : null;
}

/** The decisions on several records of a connection, in one query (a record job's batch). */
export function getDecisions(
  db: SqliteDatabase,
  connection: string,
  crmIds: readonly string[],
): Map<string, Decision> {
  if (crmIds.length === 0) return new Map();
  return new Map(
    db
      .statement(
        `select connection, crm_id, decision, sahut_id, ruled_out, decided_by, decided_at from decisions
         where connection = :connection and crm_id in (select value from json_each(:crmIds))`,
      )
      .all({ connection, crmIds: JSON.stringify(crmIds) })
      .map((row) => decisionRowSchema.parse(row))
      .map((d) => [d.crmId, d]),
  );
}

/** The latest decision on a record replaces any earlier one. */
export function saveDecision(db: SqliteDatabase, d: Decision): void {
  db.statement(
    `insert or replace into decisions (connection, crm_id, decision, sahut_id, ruled_out, decided_by, decided_at)
     values (:connection, :crmId, :decision, :sahutId, :ruledOut, :by, :at)`,
  ).run({
    connection: d.connection,
    crmId: d.crmId,
    decision: d.kind,
    sahutId: d.kind === 'link' ? d.sahutId : null,
    ruledOut: d.kind === 'create' ? JSON.stringify(d.ruledOut) : null,
    by: d.by,
    at: toSqlTime(d.at),
  });
}

export function addCarried(
  db: SqliteDatabase,
  connection: string,
  direction: Direction,
  crmIds: readonly string[],
  runId: string,
): void {
  const insert = db.statement(
    `insert into carried (connection, direction, crm_id, run_id, failures, at)
     values (:connection, :direction, :crmId, :runId, 0, :at)
     on conflict (connection, direction, crm_id) do nothing`,
  );
  const at = nowSqlTime();
  db.transaction(() => {
    for (const crmId of new Set(crmIds)) insert.run({ connection, direction, crmId, runId, at });
  });
}
