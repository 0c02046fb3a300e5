import type { checkedProbe } from '../find-probe.ts';
import { quoteIdent, selectList, type TableSql } from './sql.ts';

/**
 * Rows whose phone columns, digits only, contain the national number, or
 * whose email column, lower-cased, contains the address (REGEXP_REPLACE:
 * MySQL 8 and MariaDB 10.0.5 and later). A scan of the table; the caller
 * compares the candidates exactly.
 */
export function findQuery(t: TableSql, probe: ReturnType<typeof checkedProbe>) {
  const values: unknown[] = [];
  const conditions: string[] = [];
  if (probe.phone) {
    const text = probe.phone.columns.map(quoteIdent).join(', ');
    conditions.push(`LOCATE(?, REGEXP_REPLACE(CONCAT_WS('', ${text}), '[^0-9]', '')) > 0`);
    values.push(probe.phone.digits);
  }
  if (probe.email) {
    conditions.push(`LOCATE(?, LOWER(${quoteIdent(probe.email.column)})) > 0`);
    values.push(probe.email.address);
  }
  if (conditions.length === 0) return null;
  // limit is a checked integer: inlined, as in the page queries.
  const sql = `SELECT ${selectList(t).join(', ')} FROM ${t.table} WHERE ${conditions.join(' OR ')} LIMIT ${probe.limit}`;
  return { sql, values };
}
