import { type RowContext, rowToItem } from '../sql-table.ts';
import type { CrmItem } from '../types.ts';
import type { KeysetPosition } from './sql.ts';

/**
 * Values as the pool returns them (dates and big numbers already text, see
 * pool.ts); binary strings become text, so a record stays JSON.
 */
export function plainValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A row read as an array → an item plus the keyset position just after it (a NULL id stays NULL). */
export function keysetItem(raw: unknown, ctx: RowContext): { item: CrmItem; position: KeysetPosition } {
  const { item, key, id } = rowToItem(raw, ctx);
  return { item, position: { key, id } };
}
