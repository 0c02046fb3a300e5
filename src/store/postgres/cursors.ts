import type { Direction } from '../../domain/index.ts';
import { cursorRowSchema } from '../rows.ts';
import type { PgContext } from './context.ts';

export async function getCursor(
  ctx: PgContext,
  connection: string,
  direction: Direction,
): Promise<string | null> {
  const { rows } = await ctx.pool.query(
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
  await ctx.pool.query(
    `insert into ${ctx.schema}.cursors (connection, direction, cursor)
     values ($1, $2, $3)
     on conflict (connection, direction) do update set
       cursor = excluded.cursor,
       updated_at = now()`,
    [connection, direction, cursor],
  );
}
