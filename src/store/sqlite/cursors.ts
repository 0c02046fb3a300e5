import type { Direction } from '../../domain/index.ts';
import { cursorRowSchema, fullReadRowSchema } from '../rows.ts';
import { nowSqlTime, type SqliteDatabase, toSqlTime } from './database.ts';

export function getCursor(db: SqliteDatabase, connection: string, direction: Direction): string | null {
  const row = db
    .statement('select cursor from cursors where connection = :connection and direction = :direction')
    .get({ connection, direction });
  return row ? cursorRowSchema.parse(row).cursor : null;
}

export function setCursor(
  db: SqliteDatabase,
  connection: string,
  direction: Direction,
  cursor: string,
): void {
  db.statement(
    `insert into cursors (connection, direction, cursor, updated_at)
     values (:connection, :direction, :cursor, :updatedAt)
     on conflict (connection, direction) do update set
       cursor = excluded.cursor,
       updated_at = excluded.updated_at`,
  ).run({ connection, direction, cursor, updatedAt: nowSqlTime() });
}

export function lastFullRead(db: SqliteDatabase, connection: string, direction: Direction): Date | null {
  const row = db
    .statement('select at from full_reads where connection = :connection and direction = :direction')
    .get({ connection, direction });
  return row ? fullReadRowSchema.parse(row).at : null;
}

export function markFullRead(db: SqliteDatabase, connection: string, direction: Direction, at: Date): void {
  db.statement(
    `insert into full_reads (connection, direction, at) values (:connection, :direction, :at)
     on conflict (connection, direction) do update set at = excluded.at`,
  ).run({ connection, direction, at: toSqlTime(at) });
}
