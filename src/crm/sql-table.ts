import { z } from 'zod';
import { CrmError } from './errors.ts';
import type { CrmItem, CrmPage } from './types.ts';

// What the connectors over one SQL table (PostgreSQL, MySQL/MariaDB) share:
// rows as items, the keyset read loop with its overlap, and the columns
// write-back may touch. The SQL itself and the drivers stay in each folder.

export interface RowContext {
  /** Names for messages, e.g. `public.contacts`. */
  label: string;
  idColumn: string;
  cursorColumn: string;
  columns: readonly string[];
  /** The select list ends with the soft-delete flag (`source.deletedColumn`) after the columns. */
  deletedFlag: boolean;
  /** A value as the driver returns it → record data that stays JSON. */
  plain(value: unknown): unknown;
}

const rowSchema = z.tuple([z.string().nullable(), z.string().nullable()]).rest(z.unknown());

/** A row read as an array (cursor column, id, the columns) → an item plus the row's key and id as text. */
export function rowToItem(
  raw: unknown,
  ctx: RowContext,
): { item: CrmItem; key: string | null; id: string | null } {
  const [key, id, ...values] = rowSchema.parse(raw);
  if (id === null || id === '') {
    const rejected = {
      ref: `${ctx.label} row at ${ctx.cursorColumn}=${key ?? 'NULL'}`,
      reason: `id column "${ctx.idColumn}" is ${id === null ? 'NULL' : 'empty'}`,
    };
    return { item: { ok: false, rejected }, key, id };
  }
  const data: Record<string, unknown> = {};
  ctx.columns.forEach((column, i) => {
    data[column] = ctx.plain(values[i]);
  });
  const deleted = ctx.deletedFlag && isSet(values[ctx.columns.length]);
  return { item: { ok: true, record: { id, data, ...(deleted ? { deleted } : {}) } }, key, id };
}

/** The soft-delete flag as PostgreSQL (a boolean) or MySQL (1/0, maybe as text) returns it. */
function isSet(flag: unknown): true | false {
  return flag === true || flag === 1 || flag === '1' || flag === 1n;
}

/** How one connector pages through its table; `H` is a high-water mark, a position past the overlap. */
export interface KeysetPager<Q, P, H extends P> {
  fetch(query: Q): Promise<unknown[][]>;
  /** The page after `after`; while `hw` is set, every row ends with the "behind" flag. */
  next(after: P, hw: H | null): Q;
  /** The flag the driver returns for "at or before the high-water mark". */
  behind(flag: unknown): boolean;
  toItem(row: unknown[]): { item: CrmItem; position: P };
  encode(position: P, hw?: H): string;
}

/**
 * Reads pages from `first` on until a short page. Inside an overlap (`hw`
 * set) the cursors carry the mark, so a reader resuming there does not go
 * back again; once a page ends past it, the cursor is a plain one and never
 * moves backwards.
 */
export async function* readKeysetPages<Q, P, H extends P>(
  pager: KeysetPager<Q, P, H>,
  first: Q,
  overlapMark: H | null,
  limit: number,
  signal?: AbortSignal,
): AsyncGenerator<CrmPage> {
  let query = first;
  let hw = overlapMark;
  for (;;) {
    signal?.throwIfAborted();
    const rows = await pager.fetch(query);
    const behind = hw !== null && pager.behind(rows.at(-1)?.at(-1));
    const read = rows.map((row) => pager.toItem(hw === null ? row : row.slice(0, -1)));
    const last = read.at(-1);
    if (last === undefined) return;
    const after = last.position;
    const done = rows.length < limit;
    const items = read.map((r) => r.item);
    if (hw !== null && behind) {
      // Still inside the overlap: keep the mark, or, at the end of the table, resume from it.
      yield { items, cursor: done ? pager.encode(hw) : pager.encode(after, hw) };
    } else {
      hw = null;
      yield { items, cursor: pager.encode(after) };
    }
    if (done) return;
    query = pager.next(after, hw);
  }
}

/** What write-back may touch of a table. */
export interface WritableColumns {
  label: string;
  idColumn: string;
  /** The mapped columns except the id and cursor columns: all that write-back may touch. */
  writable: ReadonlySet<string>;
  /** Further columns `create` may set (the defaults of new records). */
  insertOnly: ReadonlySet<string>;
}

/**
 * A connector's columns from its options: the mapped ones once each, how its
 * rows read, and what write-back may touch (never the id or cursor column:
 * the cursor column is stamped by every write, the id names the row).
 */
export function tableColumns(
  opts: {
    idColumn: string;
    cursorColumn: string;
    columns: readonly string[];
    insertColumns?: readonly string[] | undefined;
    deletedColumn?: string | undefined;
  },
  label: string,
  plain: RowContext['plain'],
): { columns: string[]; rows: RowContext; write: WritableColumns } {
  const { idColumn, cursorColumn } = opts;
  const columns = [...new Set(opts.columns)];
  return {
    columns,
    rows: { label, idColumn, cursorColumn, columns, plain, deletedFlag: opts.deletedColumn !== undefined },
    write: {
      label,
      idColumn,
      writable: new Set(columns.filter((c) => c !== idColumn && c !== cursorColumn)),
      insertOnly: new Set(opts.insertColumns ?? []),
    },
  };
}

/** The names of `fields`, or a COLUMN_NOT_WRITABLE error naming the first one write-back may not touch. */
export function checkColumns(
  ctx: WritableColumns,
  fields: Record<string, unknown>,
  insert: boolean,
): string[] {
  const names = Object.keys(fields);
  const allowed = (name: string) =>
    ctx.writable.has(name) || (insert && (name === ctx.idColumn || ctx.insertOnly.has(name)));
  const refused = names.find((name) => !allowed(name));
  if (refused !== undefined) {
    const allowed = [...ctx.writable].join(', ') || 'none';
    throw new CrmError(
      'COLUMN_NOT_WRITABLE',
      `Column "${refused}" of ${ctx.label} is not writable: write-back may only touch mapped columns (${allowed})`,
    );
  }
  return names;
}
