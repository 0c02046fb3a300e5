import type { Pool } from 'pg';
import { z } from 'zod';
import { guardPool } from '../../pg/index.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { checkedProbe } from '../find-probe.ts';
import { checkPageSize, DEFAULT_PAGE_SIZE } from '../paging.ts';
import { readKeysetPages, tableColumns } from '../sql-table.ts';
import type { CrmConnector, CrmRecord, ReadOptions } from '../types.ts';
import { findQuery } from './find.ts';
import { keysetItem, plainValue, readTypes } from './rows.ts';
import { postgresSoftDelete } from './soft-delete.ts';
import {
  cursorTypeQuery,
  getQuery,
  type HighWater,
  isImpossibleId,
  type KeysetPosition,
  OVERLAP_CASTS,
  overlapQuery,
  pageQuery,
  tableSql,
} from './sql.ts';
import { postgresTombstoneLog } from './tombstones.ts';
import { insertRow, updateRow, type WriteContext } from './write.ts';

export interface PostgresConnectorOptions {
  /** Owned by the caller: `close()` does not end it. */
  pool: Pool;
  table: string;
  /** Omitted → the table is found through the connection's search_path. */
  schema?: string;
  idColumn: string;
  /**
   * Bumped on every change; any orderable type for reading, but write-back
   * stamps it with now(), so update/create need a timestamp column.
   */
  cursorColumn: string;
  /** The mapped columns: what `read` returns in `data`, and all that write-back may touch. */
  columns: readonly string[];
  /** Default page size of `read`, 500 unless set. */
  pageSize?: number;
  /** Columns only `create` may set besides the mapped ones (defaults of new records); never read. */
  insertColumns?: readonly string[];
  /** A soft-delete column (a time set when deleted, or a boolean): such rows read as `deleted`. */
  deletedColumn?: string;
}

const cursorSchema = z
  .object({
    kind: z.literal('postgres'),
    key: z.string().nullable(),
    id: z.string(),
    /** Set while an overlap is being re-read: where the reader had got to before it went back. */
    hw: z.object({ key: z.string(), id: z.string() }).strict().optional(),
  })
  .strict();
const encode = (position: KeysetPosition, hw?: HighWater) =>
  encodeCursor({ kind: 'postgres', ...position, ...(hw ? { hw } : {}) });

/**
 * Reads any table or view in keyset pages ordered by (cursor column, id as
 * text), so rows sharing a timestamp are neither skipped nor repeated and a
 * cursor resumes exactly after the last row of a page.
 *
 * A transaction that stamps a row and commits after a reader has passed that
 * timestamp is not seen by a plain keyset. `overlapMs` re-reads the rows up to
 * that long before the cursor (timestamp and date cursor columns only; the
 * type is read from the catalog once). Its cursors carry the high-water mark,
 * so a reader resuming inside the overlap does not go back again, and once
 * past the mark the cursor is a plain one: it never moves backwards.
 */
export function createPostgresConnector(opts: PostgresConnectorOptions): CrmConnector {
  const label = opts.schema === undefined ? opts.table : `${opts.schema}.${opts.table}`;
  const { columns, rows: rowContext, write } = tableColumns(opts, label, plainValue);
  const sql = tableSql({ ...opts, columns });
  const defaultPageSize = checkPageSize(opts.pageSize, DEFAULT_PAGE_SIZE);
  guardPool(opts.pool);
  const writeContext: WriteContext = { ...write, pool: opts.pool, sql, rows: rowContext };

  let cursorCast: string | null | undefined;
  /** The cast an overlap needs, or null when the cursor column is not a timestamp or date. */
  const overlapCast = async (): Promise<string | null> => {
    if (cursorCast !== undefined) return cursorCast;
    const { rows } = await opts.pool.query({ ...cursorTypeQuery(sql, opts.cursorColumn), rowMode: 'array' });
    const type: unknown = rows[0]?.[0];
    // No such column (yet): decide again next time; the page query reports the error.
    if (typeof type !== 'string') return null;
    cursorCast = OVERLAP_CASTS[type] ?? null;
    return cursorCast;
  };

  return {
    capabilities: { incremental: true, update: true, create: true },

    async *read(cursor: string | null, readOpts: ReadOptions = {}) {
      const limit = checkPageSize(readOpts.pageSize, defaultPageSize);
      const start = cursor === null ? null : decodeCursor(cursor, cursorSchema, `postgres table ${label}`);
      const after: KeysetPosition | null = start && { key: start.key, id: start.id };
      let hw: HighWater | null = start?.hw ?? null;
      let query = pageQuery(sql, after, limit, hw);
      const overlapMs = readOpts.overlapMs ?? 0;
      if (start && !start.hw && start.key !== null && overlapMs > 0) {
        const cast = await overlapCast();
        if (cast !== null) {
          hw = { key: start.key, id: start.id };
          query = overlapQuery(sql, hw, cast, overlapMs, limit);
        }
      }
      const pager = {
        fetch: async (q: typeof query) =>
          (await opts.pool.query({ ...q, rowMode: 'array', types: readTypes })).rows as unknown[][],
        next: (from: KeysetPosition, mark: HighWater | null) => pageQuery(sql, from, limit, mark),
        behind: (flag: unknown) => flag === true,
        toItem: (row: unknown[]) => keysetItem(row, rowContext),
        encode,
      };
      yield* readKeysetPages(pager, query, hw, limit, readOpts.signal);
    },

    async get(id: string): Promise<CrmRecord | null> {
      let rows: unknown[];
      try {
        ({ rows } = await opts.pool.query({ ...getQuery(sql, id), rowMode: 'array', types: readTypes }));
      } catch (err) {
        if (isImpossibleId(err)) return null;
        throw err;
      }
      if (rows[0] === undefined) return null;
      const { item } = keysetItem(rows[0], rowContext);
      return item.ok ? item.record : null;
    },

    update: (id, fields, expected) => updateRow(writeContext, id, fields, expected),
    create: (fields) => insertRow(writeContext, fields),

    async findByIdentity(probe) {
      const query = findQuery(sql, checkedProbe(probe, columns, label));
      if (!query) return [];
      const { rows } = await opts.pool.query({ ...query, rowMode: 'array', types: readTypes });
      return rows.flatMap((row) => {
        const { item } = keysetItem(row, rowContext);
        return item.ok ? [item.record] : [];
      });
    },

    ...(opts.deletedColumn ? { softDelete: postgresSoftDelete(opts.pool, sql, opts.deletedColumn) } : {}),
    tombstones: postgresTombstoneLog(opts.pool, opts.schema),

    async close() {},
  };
}
