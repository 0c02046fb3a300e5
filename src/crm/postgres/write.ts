import type { Pool } from 'pg';
import { inTransaction } from '../../pg/index.ts';
import { sameRecordData } from '../compare.ts';
import { CrmError, StaleRecordError } from '../errors.ts';
import { checkColumns, type RowContext, type WritableColumns } from '../sql-table.ts';
import type { CrmRecord } from '../types.ts';
import { keysetItem, readTypes } from './rows.ts';
import { isImpossibleId, lockQuery, quoteIdent, selectList, type TableSql } from './sql.ts';

export interface WriteContext extends WritableColumns {
  pool: Pool;
  sql: TableSql;
  /** How rows read back, as `read` and `get` read them. */
  rows: RowContext;
}

/**
 * Compare-and-set write-back of one row (see `CrmConnector.update`): in one
 * transaction the row is locked and read, compared with what the merge read,
 * written, and read again as it now stands. The cursor column is stamped with
 * now(), so incremental readers see the change. That includes our own reader:
 * the Sahut→CRM engine must recognise this echo by comparing hashes.
 */
export async function updateRow(
  ctx: WriteContext,
  id: string,
  fields: Record<string, unknown>,
  expected: CrmRecord,
): Promise<CrmRecord> {
  const names = checkColumns(ctx, fields, false);
  const notFound = (what: string) =>
    new CrmError('RECORD_NOT_FOUND', `Update of ${ctx.label}: ${what} with ${ctx.idColumn} = ${id}`);
  const sets = names.map((name, i) => `${quoteIdent(name)} = $${i + 1}`);
  const text = `UPDATE ${ctx.sql.table} SET ${[...sets, `${ctx.sql.key} = now()`].join(', ')} WHERE ${ctx.sql.id} = $${names.length + 1} RETURNING ${selectList(ctx.sql)}`;
  return inTransaction(ctx.pool, async (client) => {
    const rows = async (query: { text: string; values: unknown[] }) => {
      try {
        return (await client.query({ ...query, rowMode: 'array', types: readTypes })).rows as unknown[][];
      } catch (err) {
        if (isImpossibleId(err)) return [];
        throw err;
      }
    };
    const locked = await rows(lockQuery(ctx.sql, id));
    // More than one row means the id is not unique (a view?): roll back rather than guess.
    if (locked.length !== 1) throw notFound(locked.length === 0 ? 'no row' : 'several rows');
    const current = recordOf(ctx, locked[0]);
    if (!sameRecordData(expected.data, current.data)) throw new StaleRecordError(ctx.label, current);
    if (names.length === 0) return current;
    const [written] = await rows({ text, values: [...names.map((n) => fields[n]), id] });
    return recordOf(ctx, written);
  });
}

function recordOf(ctx: WriteContext, row: unknown): CrmRecord {
  const { item } = keysetItem(row, ctx.rows);
  // The row was found by its id, so it has one.
  if (!item.ok) throw new CrmError('RECORD_NOT_FOUND', `Update of ${ctx.label}: ${item.rejected.reason}`);
  return item.record;
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
