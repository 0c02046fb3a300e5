import type { Direction } from '../../domain/index.ts';
import { cursorRowSchema } from '../rows.ts';
import { nowSqlTime, type SqliteDatabase } from './database.ts';

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
