import type { Pool, RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { CrmError } from '../errors.ts';
import { checkedProbe } from '../find-probe.ts';
import { checkPageSize, DEFAULT_PAGE_SIZE } from '../paging.ts';
import { readKeysetPages, tableColumns } from '../sql-table.ts';
import type { CrmConnector, CrmRecord, ReadOptions } from '../types.ts';
import { findQuery } from './find.ts';
import { selectArrays } from './pool.ts';
import { keysetItem, plainValue } from './rows.ts';
import { mysqlSoftDelete } from './soft-delete.ts';
import {
  type ColumnKinds,
  columnKindsQuery,
  getQuery,
  type HighWater,
  impossibleId,
  type KeysetPosition,
  overlapQuery,
  pageQuery,
  tableSql,
} from './sql.ts';
import { mysqlTombstoneLog } from './tombstones.ts';
import { insertRow, updateRow, type WriteContext } from './write.ts';

export interface MysqlConnectorOptions {
  /** Owned by the caller: `close()` does not end it. Build it with `createMysqlPool`. */
  pool: Pool;
  table: string;
  /** Omitted → the table is in the connection's database. */
  database?: string;
  idColumn: string;
  /** Bumped on every change; write-back stamps it with NOW(6), so update/create need a temporal column. */
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

const position = z.object({ key: z.string().nullable(), id: z.string().nullable() });
const cursorSchema = position
  .extend({
    kind: z.literal('mysql'),
    /** Set while an overlap is being re-read: where the reader had got to before it went back. */
    hw: z.object({ key: z.string(), id: z.string().nullable() }).strict().optional(),
  })
  .strict();
const encode = (pos: KeysetPosition, hw?: HighWater) =>
  encodeCursor({ kind: 'mysql', ...pos, ...(hw ? { hw } : {}) });

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const TEMPORAL_TYPES = new Set(['datetime', 'timestamp', 'date']);

/**
 * MySQL and MariaDB tables or views, read in keyset pages ordered by (cursor
 * column, id) in their own types, so an index on the cursor column serves
 * every page; the same contract as the PostgreSQL connector, overlap
 * re-reads included (datetime, timestamp and date cursor columns; the types
 * are read from information_schema once).
 */
export function createMysqlConnector(opts: MysqlConnectorOptions): CrmConnector {
  const label = opts.database === undefined ? opts.table : `${opts.database}.${opts.table}`;
  const { columns, rows: rowContext, write } = tableColumns(opts, label, plainValue);
  const sql = tableSql({ ...opts, columns });
  const defaultPageSize = checkPageSize(opts.pageSize, DEFAULT_PAGE_SIZE);

  let known: ColumnKinds | undefined;
  const kinds = async (): Promise<ColumnKinds> => {
    if (known) return known;
    const catalog = columnKindsQuery(opts, [opts.idColumn, opts.cursorColumn]);
    const [rows] = await opts.pool.execute<RowDataPacket[]>(catalog.sql, catalog.values);
    const typeOf = (column: string) => {
      const row = rows.find((r) => r.COLUMN_NAME === column);
      if (!row) {
        // Not cached: the table may be created later.
        throw new CrmError('SOURCE_INVALID', `Table ${label} does not exist or has no column "${column}"`);
      }
      return { type: String(row.DATA_TYPE).toLowerCase(), extra: String(row.EXTRA).toLowerCase() };
    };
    const id = typeOf(opts.idColumn);
    known = {
      integerId: INTEGER_TYPES.has(id.type),
      autoIncrementId: id.extra.includes('auto_increment'),
      temporalCursor: TEMPORAL_TYPES.has(typeOf(opts.cursorColumn).type),
    };
    return known;
  };

  const writeContext: WriteContext = { ...write, pool: opts.pool, sql, kinds, rows: rowContext };

  return {
    capabilities: { incremental: true, update: true, create: true },

    async *read(cursor: string | null, readOpts: ReadOptions = {}) {
      const limit = checkPageSize(readOpts.pageSize, defaultPageSize);
      const start = cursor === null ? null : decodeCursor(cursor, cursorSchema, `mysql table ${label}`);
      const k = await kinds();
      const after: KeysetPosition | null = start && { key: start.key, id: start.id };
      let hw: HighWater | null = start?.hw ?? null;
      let query = pageQuery(sql, k, after, limit, hw);
      if (start && !start.hw && start.key !== null && (readOpts.overlapMs ?? 0) > 0 && k.temporalCursor) {
        hw = { key: start.key, id: start.id };
        query = overlapQuery(sql, k, hw, readOpts.overlapMs ?? 0, limit);
      }
      const pager = {
        fetch: (q: typeof query) => selectArrays(opts.pool, q),
        next: (from: KeysetPosition, mark: HighWater | null) => pageQuery(sql, k, from, limit, mark),
        // MySQL has no boolean: the flag comes back as 1 or 0.
        behind: (flag: unknown) => Number(flag) === 1,
        toItem: (row: unknown[]) => keysetItem(row, rowContext),
        encode,
      };
      yield* readKeysetPages(pager, query, hw, limit, readOpts.signal);
    },

    async get(id: string): Promise<CrmRecord | null> {
      const k = await kinds();
      if (impossibleId(k, id)) return null;
      const [row] = await selectArrays(opts.pool, getQuery(sql, k, id));
      if (row === undefined) return null;
      const { item } = keysetItem(row, rowContext);
      return item.ok ? item.record : null;
    },

    update: (id, fields, expected) => updateRow(writeContext, id, fields, expected),
    create: (fields) => insertRow(writeContext, fields),

    async findByIdentity(probe) {
      const query = findQuery(sql, checkedProbe(probe, columns, label));
      if (!query) return [];
      return (await selectArrays(opts.pool, query)).flatMap((row) => {
        const { item } = keysetItem(row, rowContext);
        return item.ok ? [item.record] : [];
      });
    },

    ...(opts.deletedColumn
      ? {
          softDelete: mysqlSoftDelete(opts.pool, sql, {
            database: opts.database,
            table: opts.table,
            column: opts.deletedColumn,
          }),
        }
      : {}),
    tombstones: mysqlTombstoneLog(opts.pool, opts.database),

    async close() {},
  };
}
