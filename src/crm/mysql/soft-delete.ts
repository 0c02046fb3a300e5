import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { quoteIdent, type TableSql } from './sql.ts';

const FLAG_TYPES = new Set(['tinyint', 'bit', 'boolean', 'bool']);

/** `options.deleteInCrm: soft`: the row's soft-delete column set (1, or NOW(6) for a time), its cursor stamped. */
export function mysqlSoftDelete(
  pool: Pool,
  sql: TableSql,
  opts: { database?: string | undefined; table: string; column: string },
) {
  let value: string | undefined;
  return async (id: string): Promise<boolean> => {
    if (value === undefined) {
      const [rows] = await pool.execute<RowDataPacket[]>(
        `SELECT DATA_TYPE FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
        [opts.database ?? null, opts.table, opts.column],
      );
      value = FLAG_TYPES.has(String(rows[0]?.DATA_TYPE ?? '').toLowerCase()) ? '1' : 'NOW(6)';
    }
    const [result] = await pool.execute<ResultSetHeader>(
      `UPDATE ${sql.table} SET ${quoteIdent(opts.column)} = ${value}, ${sql.key} = NOW(6) WHERE ${sql.id} = ?`,
      [id],
    );
    return result.affectedRows > 0;
  };
}
