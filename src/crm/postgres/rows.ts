import pg from 'pg';
import { z } from 'zod';
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

const rowSchema = z.tuple([z.string().nullable(), z.string().nullable()]).rest(z.unknown());

function plain(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export interface RowContext {
  /** Names for messages, e.g. `public.contacts`. */
  label: string;
  idColumn: string;
  cursorColumn: string;
  columns: readonly string[];
}

/** A row read in array mode → an item plus the keyset position just after it. */
export function rowToItem(raw: unknown, ctx: RowContext): { item: CrmItem; position: KeysetPosition } {
  const [key, id, ...values] = rowSchema.parse(raw);
  const position = { key, id: id ?? '' };
  if (id === null || id === '') {
    const at = key === null ? 'NULL' : key;
    return {
      item: {
        ok: false,
        rejected: {
          ref: `${ctx.label} row at ${ctx.cursorColumn}=${at}`,
          reason: `id column "${ctx.idColumn}" is ${id === null ? 'NULL' : 'empty'}`,
        },
      },
      position,
    };
  }
  const data: Record<string, unknown> = {};
  ctx.columns.forEach((column, i) => {
    data[column] = plain(values[i]);
  });
  return { item: { ok: true, record: { id, data } }, position };
}
