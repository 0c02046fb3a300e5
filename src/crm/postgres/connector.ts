import type { Pool } from 'pg';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { checkPageSize, DEFAULT_PAGE_SIZE } from '../paging.ts';
import type { CrmConnector, CrmRecord, ReadOptions } from '../types.ts';
import { type RowContext, readTypes, rowToItem } from './rows.ts';
import { getQuery, isImpossibleId, type KeysetPosition, pageQuery, tableSql } from './sql.ts';
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
}

const cursorSchema = z
  .object({ kind: z.literal('postgres'), key: z.string().nullable(), id: z.string() })
  .strict();
const encode = (position: KeysetPosition) => encodeCursor({ kind: 'postgres', ...position });

/**
 * Reads any table or view in keyset pages ordered by (cursor column, id as
 * text), so rows sharing a timestamp are neither skipped nor repeated and a
 * cursor resumes exactly after the last row of a page.
 *
 * Caveat shared by every `updated_at` keyset: a transaction that stamps a row
 * and commits after a reader has passed that timestamp is not seen by that
 * reader's cursor; a periodic full read (cursor null) catches such rows.
 */
export function createPostgresConnector(opts: PostgresConnectorOptions): CrmConnector {
  const columns = [...new Set(opts.columns)];
  const sql = tableSql({ ...opts, columns });
  const label = opts.schema === undefined ? opts.table : `${opts.schema}.${opts.table}`;
  const defaultPageSize = checkPageSize(opts.pageSize, DEFAULT_PAGE_SIZE);
  const rowContext: RowContext = { label, idColumn: opts.idColumn, cursorColumn: opts.cursorColumn, columns };
  const writeContext: WriteContext = {
    pool: opts.pool,
    sql,
    label,
    idColumn: opts.idColumn,
    cursorColumn: opts.cursorColumn,
    writable: new Set(columns.filter((c) => c !== opts.idColumn && c !== opts.cursorColumn)),
  };

  return {
    capabilities: { incremental: true, update: true, create: true },

    async *read(cursor: string | null, readOpts: ReadOptions = {}) {
      const limit = checkPageSize(readOpts.pageSize, defaultPageSize);
      let after: KeysetPosition | null =
        cursor === null ? null : decodeCursor(cursor, cursorSchema, `postgres table ${label}`);
      for (;;) {
        readOpts.signal?.throwIfAborted();
        const { rows } = await opts.pool.query({
          ...pageQuery(sql, after, limit),
          rowMode: 'array',
          types: readTypes,
        });
        const read = rows.map((row) => rowToItem(row, rowContext));
        const last = read.at(-1);
        if (last === undefined) return;
        after = last.position;
        yield { items: read.map((r) => r.item), cursor: encode(after) };
        if (rows.length < limit) return;
      }
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
      const { item } = rowToItem(rows[0], rowContext);
      return item.ok ? item.record : null;
    },

    update: (id, fields) => updateRow(writeContext, id, fields),
    create: (fields) => insertRow(writeContext, fields),

    async close() {},
  };
}
