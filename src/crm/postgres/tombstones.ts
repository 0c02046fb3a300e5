import type { Pool } from 'pg';
import { postgresTombstones } from '../notify/postgres.ts';
import type { CrmConnector } from '../types.ts';

/** undefined_table: the trigger of `crm install-trigger` was never installed, so nothing was recorded. */
const noTable = (err: unknown) => (err as { code?: unknown } | null)?.code === '42P01';

/** The ids the delete trigger recorded for a connection, oldest first, and forgetting them once acted on. */
export function postgresTombstoneLog(pool: Pool, schema: string | undefined): CrmConnector['tombstones'] {
  const table = postgresTombstones(schema);
  return {
    async read(connection, limit) {
      try {
        const { rows } = await pool.query<{ crm_id: string }>(
          `SELECT DISTINCT crm_id FROM (SELECT crm_id FROM ${table} WHERE connection = $1 ORDER BY id LIMIT $2) AS oldest`,
          [connection, limit],
        );
        return rows.map((row) => row.crm_id);
      } catch (err) {
        if (noTable(err)) return [];
        throw err;
      }
    },
    async forget(connection, ids) {
      if (ids.length === 0) return;
      await pool.query(`DELETE FROM ${table} WHERE connection = $1 AND crm_id = ANY($2::text[])`, [
        connection,
        ids,
      ]);
    },
  };
}
