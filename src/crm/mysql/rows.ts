import { z } from 'zod';
import type { CrmItem } from '../types.ts';
import type { KeysetPosition } from './sql.ts';

const rowSchema = z.tuple([z.string().nullable(), z.string().nullable()]).rest(z.unknown());

/**
 * Values as the pool returns them (dates and big numbers already text, see
 * pool.ts); binary strings become text, so a record stays JSON.
 */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export interface RowContext {
  /** Names for messages, e.g. `crm.contacts`. */
  label: string;
  idColumn: string;
  cursorColumn: string;
  columns: readonly string[];
}

/** A row read as an array → an item plus the keyset position just after it. */
export function rowToItem(raw: unknown, ctx: RowContext): { item: CrmItem; position: KeysetPosition } {
  const [key, id, ...values] = rowSchema.parse(raw);
  const position = { key, id };
  if (id === null || id === '') {
    return {
      item: {
        ok: false,
        rejected: {
          ref: `${ctx.label} row at ${ctx.cursorColumn}=${key ?? 'NULL'}`,
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
