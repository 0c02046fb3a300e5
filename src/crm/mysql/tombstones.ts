import type { Pool, RowDataPacket } from 'mysql2/promise';
import { mysqlTombstones } from '../notify/mysql.ts';
import type { CrmConnector } from '../types.ts';

/** ER_NO_SUCH_TABLE: the trigger of `crm install-trigger` was never installed, so nothing was recorded. */
const noTable = (err: unknown) => (err as { errno?: unknown } | null)?.errno === 1146;

/** The ids the delete trigger recorded for a connection, oldest first, and forgetting them once acted on. */
export function mysqlTombstoneLog(pool: Pool, database: string | undefined): CrmConnector['tombstones'] {
  const table = mysqlTombstones(database);
  return {
    async read(connection, limit) {
      try {
        // limit is a checked integer: inlined, as some servers refuse a LIMIT placeholder.
        const [rows] = await pool.query<RowDataPacket[]>(
          `SELECT DISTINCT crm_id FROM (SELECT crm_id FROM ${table} WHERE connection = ? ORDER BY id LIMIT ${Math.trunc(limit)}) AS oldest`,
          [connection],
        );
        return rows.map((row) => String(row.crm_id));
      } catch (err) {
        if (noTable(err)) return [];
        throw err;
      }
    },
    async forget(connection, ids) {
      if (ids.length === 0) return;
      await pool.query(`DELETE FROM ${table} WHERE connection = ? AND crm_id IN (?)`, [connection, [...ids]]);
    },
  };
}
