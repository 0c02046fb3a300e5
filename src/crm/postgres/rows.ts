import pg from 'pg';
import { type RowContext, rowToItem } from '../sql-table.ts';
import type { CrmItem } from '../types.ts';
import type { KeysetPosition } from './sql.ts';

const DATE_OID = 1082;
const TIMESTAMP_OID = 1114;

/**
 * Per-query type parsers: `date` stays `YYYY-MM-DD` and `timestamp` (without
 * zone) stays wall-clock text, because turning either into a JS Date would
 * shift it by the worker's time zone. `timestamptz` becomes a Date, then UTC ISO.
 */
export const readTypes = new pg.TypeOverrides(pg.types);
readTypes.setTypeParser(DATE_OID, (value: string) => value);
readTypes.setTypeParser(TIMESTAMP_OID, (value: string) => value.replace(' ', 'T'));

export function plainValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A row read in array mode → an item plus the keyset position just after it (a NULL id as ''). */
export function keysetItem(raw: unknown, ctx: RowContext): { item: CrmItem; position: KeysetPosition } {
  const { item, key, id } = rowToItem(raw, ctx);
  return { item, position: { key, id: id ?? '' } };
}
