import { CrmError } from '../errors.ts';

/** Quotes one identifier: wrapped in backticks with inner backticks doubled, so any name is safe. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new CrmError('SOURCE_INVALID', `Invalid SQL identifier ${JSON.stringify(name)}`);
  }
  return `\`${name.replaceAll('`', '``')}\``;
}

/** What the catalog says about the two columns the keyset is built on. */
export interface ColumnKinds {
  /** Integer id column: parameters are cast to DECIMAL(65,0), so big ids compare exactly. */
  integerId: boolean;
  /** The table generates ids itself (AUTO_INCREMENT): `create` reads back insertId. */
  autoIncrementId: boolean;
  /** datetime, timestamp or date cursor column: an overlap applies to it. */
  temporalCursor: boolean;
}

/** Every identifier the connector splices into SQL, quoted once up front. */
export interface TableSql {
  /** `` `db`.`table` ``, or `` `table` `` in the connection's database. */
  table: string;
  id: string;
  key: string;
  columns: string[];
  /** 1 for a soft-deleted row (`source.deletedColumn`: a time, or a boolean), read after the columns. */
  deleted?: string;
}

export function tableSql(opts: {
  database?: string | undefined;
  table: string;
  idColumn: string;
  cursorColumn: string;
  columns: readonly string[];
  deletedColumn?: string | undefined;
}): TableSql {
  const deleted = opts.deletedColumn === undefined ? undefined : quoteIdent(opts.deletedColumn);
  return {
    // A time (or any value) set means deleted; a boolean (TINYINT) only when not 0.
    ...(deleted
      ? { deleted: `(${deleted} IS NOT NULL AND CAST(${deleted} AS CHAR) NOT IN ('0', 'false', ''))` }
      : {}),
    table:
      opts.database === undefined
        ? quoteIdent(opts.table)
        : `${quoteIdent(opts.database)}.${quoteIdent(opts.table)}`,
    id: quoteIdent(opts.idColumn),
    key: quoteIdent(opts.cursorColumn),
    columns: opts.columns.map(quoteIdent),
  };
}

/** The two columns' types, from information_schema (works for views too). */
export function columnKindsQuery(
  opts: { database?: string | undefined; table: string },
  names: [string, string],
): { sql: string; values: (string | null)[] } {
  return {
    sql: `SELECT COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME IN (?, ?)`,
    values: [opts.database ?? null, opts.table, ...names],
  };
}

/** Position just after a row: its cursor column and its id as text; NULL sorts first in MySQL. */
export interface KeysetPosition {
  key: string | null;
  id: string | null;
}

/** Where a reader had got to before it went back to re-read an overlap. */
export interface HighWater {
  key: string;
  id: string | null;
}

type Param = (value: unknown) => string;

export function idParam(kinds: ColumnKinds, param: Param, id: string): string {
  return kinds.integerId ? `CAST(${param(id)} AS DECIMAL(65,0))` : param(id);
}

/** The row's id comes after `id` (NULL ids first). */
function idAfter(t: TableSql, kinds: ColumnKinds, param: Param, id: string | null): string {
  return id === null ? `${t.id} IS NOT NULL` : `${t.id} > ${idParam(kinds, param, id)}`;
}

/** Rows after a position, in `ORDER BY key, id` order. `key >= ?` lets an index on the cursor column serve it. */
function after(t: TableSql, kinds: ColumnKinds, param: Param, pos: KeysetPosition): string {
  if (pos.key === null) {
    return `(${t.key} IS NULL AND ${idAfter(t, kinds, param, pos.id)}) OR ${t.key} IS NOT NULL`;
  }
  const from = `${t.key} >= ${param(pos.key)}`;
  const later = `${t.key} > ${param(pos.key)}`;
  const same = `${t.key} = ${param(pos.key)}`;
  return `${from} AND (${later} OR (${same} AND ${idAfter(t, kinds, param, pos.id)}))`;
}

/** 1 while the row lies at or before the high-water mark (re-read), 0 after it. */
function atOrBefore(t: TableSql, kinds: ColumnKinds, param: Param, hw: HighWater): string {
  // Placeholders are positional: call `param` in the order they appear in the text.
  const before = `${t.key} < ${param(hw.key)}`;
  const same = `${t.key} = ${param(hw.key)}`;
  const id =
    hw.id === null ? `${t.id} IS NULL` : `(${t.id} IS NULL OR ${t.id} <= ${idParam(kinds, param, hw.id)})`;
  return `(${before} OR (${same} AND ${id}))`;
}

/** The cursor column and the id as text (exact, whatever their type), then the mapped columns. */
export const selectList = (t: TableSql) => [
  `CAST(${t.key} AS CHAR)`,
  `CAST(${t.id} AS CHAR)`,
  ...t.columns,
  ...(t.deleted ? [t.deleted] : []),
];

function page(
  t: TableSql,
  kinds: ColumnKinds,
  limit: number,
  hw: HighWater | null,
  where: (param: Param) => string,
) {
  const values: unknown[] = [];
  const param: Param = (value) => {
    values.push(value);
    return '?';
  };
  // Parameters are numbered by position: build the clauses in the order they appear.
  const select = selectList(t);
  if (hw !== null) select.push(atOrBefore(t, kinds, param, hw));
  const condition = where(param);
  // limit is a checked integer: inlined, since some servers refuse a LIMIT placeholder in prepared statements.
  const sql =
    `SELECT ${select.join(', ')} FROM ${t.table}${condition ? ` WHERE ${condition}` : ''} ` +
    `ORDER BY ${t.key} ASC, ${t.id} ASC LIMIT ${Math.trunc(limit)}`;
  return { sql, values };
}

/**
 * One keyset page ordered by (cursor column, id), both in their own types, so
 * an index on the cursor column (InnoDB appends the primary key to it) serves
 * both the range and the order. With `hw`, each row ends with its
 * at-or-before-the-mark flag.
 */
export function pageQuery(
  t: TableSql,
  kinds: ColumnKinds,
  pos: KeysetPosition | null,
  limit: number,
  hw: HighWater | null = null,
) {
  return page(t, kinds, limit, hw, (param) => (pos === null ? '' : after(t, kinds, param, pos)));
}

/** The first page of an overlap re-read: rows whose cursor column lies at most `overlapMs` before the mark, then on. */
export function overlapQuery(
  t: TableSql,
  kinds: ColumnKinds,
  hw: HighWater,
  overlapMs: number,
  limit: number,
) {
  return page(
    t,
    kinds,
    limit,
    hw,
    (param) =>
      `${t.key} >= CAST(${param(hw.key)} AS DATETIME(6)) - INTERVAL ${param(Math.round(overlapMs * 1000))} MICROSECOND`,
  );
}

export function getQuery(t: TableSql, kinds: ColumnKinds, id: string) {
  const values: unknown[] = [];
  const param: Param = (value) => {
    values.push(value);
    return '?';
  };
  const sql =
    `SELECT ${selectList(t).join(', ')} ` +
    `FROM ${t.table} WHERE ${t.id} = ${idParam(kinds, param, id)} ORDER BY ${t.key} DESC LIMIT 1`;
  return { sql, values };
}

/** The row to update, locked until the transaction ends; two rows mean the id is not unique. */
export function lockQuery(t: TableSql, kinds: ColumnKinds, id: string) {
  const values: unknown[] = [];
  const param: Param = (value) => {
    values.push(value);
    return '?';
  };
  const sql = `SELECT ${selectList(t).join(', ')} FROM ${t.table} WHERE ${t.id} = ${idParam(kinds, param, id)} LIMIT 2 FOR UPDATE`;
  return { sql, values };
}

/** An id that no integer column can hold: looked up, it would match 0 after MySQL's string-to-number cast. */
export const impossibleId = (kinds: ColumnKinds, id: string) =>
  kinds.integerId && !/^[+-]?\d{1,65}$/.test(id);
