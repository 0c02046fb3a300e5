import type { Pool } from 'pg';
import { isImpossibleId, quoteIdent, type TableSql } from './sql.ts';

/** `options.deleteInCrm: soft`: the row's soft-delete column set (true, or now() for a time), its cursor stamped. */
export function postgresSoftDelete(pool: Pool, sql: TableSql, column: string) {
  let value: string | undefined;
  return async (id: string): Promise<boolean> => {
    if (value === undefined) {
      const { rows } = await pool.query<{ type: string | null }>(
        `SELECT format_type(a.atttypid, NULL) AS type FROM pg_attribute a
         WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
        [sql.table, column],
      );
      value = rows[0]?.type === 'boolean' ? 'true' : 'now()';
    }
    try {
      const { rowCount } = await pool.query(
        `UPDATE ${sql.table} SET ${quoteIdent(column)} = ${value}, ${sql.key} = now() WHERE ${sql.id} = $1`,
        [id],
      );
      return (rowCount ?? 0) > 0;
    } catch (err) {
      if (isImpossibleId(err)) return false;
      throw err;
    }
  };
}
