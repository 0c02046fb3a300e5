import type { Pool } from 'pg';
import { inTransaction } from '../../pg/index.ts';
import { CrmError } from '../errors.ts';
import { checkColumns, type WritableColumns } from '../sql-table.ts';
import { isImpossibleId, quoteIdent, type TableSql } from './sql.ts';

export interface WriteContext extends WritableColumns {
  pool: Pool;
  sql: TableSql;
  cursorColumn: string;
}

/**
 * Writes the given mapped columns of one row and stamps the cursor column with
 * now(), so incremental readers see the change. That includes our own reader:
 * the Sahut→CRM engine must recognise this echo by comparing hashes.
 */
export async function updateRow(
  ctx: WriteContext,
  id: string,
  fields: Record<string, unknown>,
): Promise<void> {
  const names = checkColumns(ctx, fields, false);
  if (names.length === 0) return;
  const sets = names.map((name, i) => `${quoteIdent(name)} = $${i + 1}`);
  const text = `UPDATE ${ctx.sql.table} SET ${sets.join(', ')}, ${ctx.sql.key} = now() WHERE ${ctx.sql.id} = $${names.length + 1}`;
  await inTransaction(ctx.pool, async (client) => {
    let count: number;
    try {
      count = (await client.query(text, [...names.map((n) => fields[n]), id])).rowCount ?? 0;
    } catch (err) {
      if (isImpossibleId(err)) count = 0;
      else throw err;
    }
    if (count !== 1) {
      // More than one row means the id is not unique (a view?): roll back rather than guess.
      const what = count === 0 ? 'no row' : `${count} rows`;
      throw new CrmError('RECORD_NOT_FOUND', `Update of ${ctx.label}: ${what} with ${ctx.idColumn} = ${id}`);
    }
  });
}

/** Inserts a row (cursor column = now()) and returns its id, which the table must generate unless given. */
export async function insertRow(ctx: WriteContext, fields: Record<string, unknown>): Promise<string> {
  const names = checkColumns(ctx, fields, true);
  const columns = [...names.map(quoteIdent), ctx.sql.key];
  const params = [...names.map((_, i) => `$${i + 1}`), 'now()'];
  const text = `INSERT INTO ${ctx.sql.table} (${columns.join(', ')}) VALUES (${params.join(', ')}) RETURNING ${ctx.sql.id}::text`;
  return inTransaction(ctx.pool, async (client) => {
    const { rows } = await client
      .query({ text, values: names.map((n) => fields[n]), rowMode: 'array' })
      .catch((err: unknown) => {
        throw refusal(ctx, err) ?? err;
      });
    const id: unknown = rows[0]?.[0];
    if (typeof id !== 'string' || id === '') {
      throw new CrmError(
        'SOURCE_INVALID',
        `Insert into ${ctx.label} produced no ${ctx.idColumn}: give the column a default or pass it`,
      );
    }
    return id;
  });
}

/**
 * Data exceptions (22…), integrity constraints (23…: NOT NULL, unique, check,
 * foreign key) and an unknown column (42703): the statement failed, so
 * nothing was written, and running it again cannot succeed.
 */
function refusal(ctx: WriteContext, err: unknown): CrmError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(/^2[23]/.test(code) || code === '42703')) return null;
  const message = err instanceof Error ? err.message : String(err);
  return new CrmError('WRITE_REFUSED', `Insert into ${ctx.label} refused: ${message}`, { cause: err });
}
