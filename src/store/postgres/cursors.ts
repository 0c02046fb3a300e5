import type { Direction } from '../../domain/index.ts';
import { cursorRowSchema, fullReadRowSchema } from '../rows.ts';
import { type PgContext, query } from './context.ts';

export async function getCursor(
  ctx: PgContext,
  connection: string,
  direction: Direction,
): Promise<string | null> {
  const { rows } = await query(
    ctx,
    `select cursor from ${ctx.schema}.cursors where connection = $1 and direction = $2`,
    [connection, direction],
  );
  return rows[0] ? cursorRowSchema.parse(rows[0]).cursor : null;
}

export async function setCursor(
  ctx: PgContext,
  connection: string,
  direction: Direction,
  cursor: string,
): Promise<void> {
  await query(
    ctx,
    `insert into ${ctx.schema}.cursors (connection, direction, cursor)
     values ($1, $2, $3)
     on conflict (connection, direction) do update set
       cursor = excluded.cursor,
       updated_at = now()`,
    [connection, direction, cursor],
  );
}

export async function lastFullRead(
  ctx: PgContext,
  connection: string,
  direction: Direction,
): Promise<Date | null> {
  const { rows } = await query(
    ctx,
    `select at from ${ctx.schema}.full_reads where connection = $1 and direction = $2`,
    [connection, direction],
  );
  return rows[0] ? fullReadRowSchema.parse(rows[0]).at : null;
}

export async function markFullRead(ctx: PgContext, connection: string, direction: Direction, at: Date) {
  await query(
    ctx,
    `insert into ${ctx.schema}.full_reads (connection, direction, at) values ($1, $2, $3)
     on conflict (connection, direction) do update set at = excluded.at`,
    [connection, direction, at],
  );
}
