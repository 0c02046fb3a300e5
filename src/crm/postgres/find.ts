import type { checkedProbe } from '../find-probe.ts';
import { quoteIdent, selectList, type TableSql } from './sql.ts';

/**
 * Rows whose phone columns, digits only, contain the national number, or
 * whose email column, lower-cased, contains the address: stored as
 * `0812-3456-789`, `+62 812 3456 789` or `Budi@Example.com`, they are all found.
 * A scan of the table; the caller compares the candidates exactly.
 */
export function findQuery(t: TableSql, probe: ReturnType<typeof checkedProbe>) {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions: string[] = [];
  if (probe.phone) {
    const text = probe.phone.columns.map((c) => `${quoteIdent(c)}::text`).join(', ');
    conditions.push(
      `position(${param(probe.phone.digits)} in regexp_replace(concat(${text}), '[^0-9]', '', 'g')) > 0`,
    );
  }
  if (probe.email) {
    conditions.push(
      `position(${param(probe.email.address)} in lower(${quoteIdent(probe.email.column)}::text)) > 0`,
    );
  }
  if (conditions.length === 0) return null;
  const text = `SELECT ${selectList(t)} FROM ${t.table} WHERE ${conditions.join(' OR ')} LIMIT ${param(probe.limit)}`;
  return { text, values };
}
