import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { sameRecordData } from '../compare.ts';
import { CrmError, StaleRecordError } from '../errors.ts';
import { checkColumns, type RowContext, type WritableColumns } from '../sql-table.ts';
import type { CrmRecord } from '../types.ts';
import { selectArrays, toParam } from './pool.ts';
import { keysetItem } from './rows.ts';
import { type ColumnKinds, idParam, impossibleId, lockQuery, quoteIdent, type TableSql } from './sql.ts';

export interface WriteContext extends WritableColumns {
  pool: Pool;
  sql: TableSql;
  kinds(): Promise<ColumnKinds>;
  /** How rows read back, as `read` and `get` read them. */
  rows: RowContext;
}

async function inTransaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await work(conn);
    await conn.commit();
    conn.release();
    return result;
  } catch (err) {
    // A failed ROLLBACK means the connection is broken: destroy it instead of pooling it.
    await conn.rollback().then(
      () => conn.release(),
      () => conn.destroy(),
    );
    throw err;
  }
}

/**
 * Compare-and-set write-back of one row (see `CrmConnector.update`): in one
 * transaction the row is locked and read, compared with what the merge read,
 * written, and read again as it now stands. The cursor column is stamped with
 * NOW(6) in the server's time zone (what the CRM's own NOW() writes), so
 * incremental readers see the change, our own reader included.
 */
export async function updateRow(
  ctx: WriteContext,
  id: string,
  fields: Record<string, unknown>,
  expected: CrmRecord,
): Promise<CrmRecord> {
  const names = checkColumns(ctx, fields, false);
  const kinds = await ctx.kinds();
  const notFound = (what: string) =>
    new CrmError('RECORD_NOT_FOUND', `Update of ${ctx.label}: ${what} with ${ctx.idColumn} = ${id}`);
  if (impossibleId(kinds, id)) throw notFound('no row');
  const values = names.map((n) => toParam(fields[n]));
  const sets = [...names.map((name) => `${quoteIdent(name)} = ?`), `${ctx.sql.key} = NOW(6)`];
  const where = idParam(
    kinds,
    (v) => {
      values.push(toParam(v));
      return '?';
    },
    id,
  );
  const sql = `UPDATE ${ctx.sql.table} SET ${sets.join(', ')} WHERE ${ctx.sql.id} = ${where}`;
  return inTransaction(ctx.pool, async (conn) => {
    // Locking reads see the latest committed row (and, after the UPDATE, our own write).
    const readLocked = async () => {
      const rows = await selectArrays(conn, lockQuery(ctx.sql, kinds, id));
      // More than one row means the id is not unique (a view?): roll back rather than guess.
      if (rows.length !== 1) throw notFound(rows.length === 0 ? 'no row' : 'several rows');
      const { item } = keysetItem(rows[0], ctx.rows);
      if (!item.ok) throw notFound(item.rejected.reason);
      return item.record;
    };
    const current = await readLocked();
    if (!sameRecordData(expected.data, current.data)) throw new StaleRecordError(ctx.label, current);
    if (names.length === 0) return current;
    await conn.execute<ResultSetHeader>(sql, values);
    return readLocked();
  });
}

const PARSE_ERROR = 1064;

/**
 * Inserts a row (cursor column = NOW(6)) and returns its id: the one given,
 * else AUTO_INCREMENT's, else the column default's through RETURNING (MariaDB).
 */
export async function insertRow(ctx: WriteContext, fields: Record<string, unknown>): Promise<string> {
  const names = checkColumns(ctx, fields, true);
  const kinds = await ctx.kinds();
  const given = fields[ctx.idColumn];
  const columns = [...names.map(quoteIdent), ctx.sql.key];
  const params = [...names.map(() => '?'), 'NOW(6)'];
  const returning = given == null && !kinds.autoIncrementId;
  const sql =
    `INSERT INTO ${ctx.sql.table} (${columns.join(', ')}) VALUES (${params.join(', ')})` +
    (returning ? ` RETURNING CAST(${ctx.sql.id} AS CHAR)` : '');
  const noId = () =>
    new CrmError(
      'SOURCE_INVALID',
      `Insert into ${ctx.label} produced no ${ctx.idColumn}: make the column AUTO_INCREMENT, give it a default (MariaDB), or pass it`,
    );
  const refused = (err: unknown) => {
    throw refusal(ctx, err) ?? err;
  };
  return inTransaction(ctx.pool, async (conn) => {
    if (returning) {
      let rows: unknown[][];
      try {
        rows = await selectArrays(conn, { sql, values: names.map((n) => fields[n]) });
      } catch (err) {
        // MySQL has no INSERT … RETURNING.
        if ((err as { errno?: number }).errno === PARSE_ERROR) throw noId();
        return refused(err);
      }
      const id: unknown = rows[0]?.[0];
      if (typeof id !== 'string' || id === '') throw noId();
      return id;
    }
    const [result] = await conn
      .execute<ResultSetHeader>(
        sql,
        names.map((n) => toParam(fields[n])),
      )
      .catch(refused);
    const id = given ?? result.insertId;
    return String(id);
  });
}

// Refusals whose SQLSTATE is the generic HY000 or 01000: a column without a value and
// without a default, an incorrect value, a truncated one, a failed CHECK.
const REFUSED_ERRNOS = new Set([1364, 1366, 1265, 3819]);

/**
 * Data exceptions (SQLSTATE 22…), integrity constraints (23…: NOT NULL,
 * unique, foreign key), an unknown column (42S22) and the refusals above: the
 * statement failed, so nothing was written, and running it again cannot succeed.
 */
function refusal(ctx: WriteContext, err: unknown): CrmError | null {
  const { sqlState: state, errno } = (err ?? {}) as { sqlState?: unknown; errno?: unknown };
  const refused =
    (typeof state === 'string' && (/^2[23]/.test(state) || state === '42S22')) ||
    (typeof errno === 'number' && REFUSED_ERRNOS.has(errno));
  if (!refused) return null;
  const message = err instanceof Error ? err.message : String(err);
  return new CrmError('WRITE_REFUSED', `Insert into ${ctx.label} refused: ${message}`, { cause: err });
}
