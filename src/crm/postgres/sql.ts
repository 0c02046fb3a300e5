import { CrmError } from '../errors.ts';

/** Quotes one identifier: wrapped in `"` with inner `"` doubled, so any name is safe. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new CrmError('SOURCE_INVALID', `Invalid SQL identifier ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** Every identifier the connector splices into SQL, quoted once up front. */
export interface TableSql {
  /** `"schema"."table"`, or `"table"` to follow the search_path. */
  table: string;
  id: string;
  key: string;
  /** The id as text, empty for NULL: the keyset tie-break, compared bytewise. */
  tie: string;
  columns: string[];
  /** True for a soft-deleted row (`source.deletedColumn`: a time, or a boolean), read after the columns. */
  deleted?: string;
}

export function tableSql(opts: {
  schema?: string | undefined;
  table: string;
  idColumn: string;
  cursorColumn: string;
  columns: readonly string[];
  deletedColumn?: string | undefined;
}): TableSql {
  const id = quoteIdent(opts.idColumn);
  const deleted = opts.deletedColumn === undefined ? undefined : quoteIdent(opts.deletedColumn);
  return {
    // A timestamp (or any value) set means deleted; a boolean only when true.
    ...(deleted
      ? { deleted: `(${deleted} IS NOT NULL AND ${deleted}::text NOT IN ('false', 'f', '0', ''))` }
      : {}),
    table:
      opts.schema === undefined
        ? quoteIdent(opts.table)
        : `${quoteIdent(opts.schema)}.${quoteIdent(opts.table)}`,
    id,
    key: quoteIdent(opts.cursorColumn),
    tie: `coalesce(${id}::text, '') COLLATE "C"`,
    columns: opts.columns.map(quoteIdent),
  };
}

/** Position just after a row: its cursor column as text (NULL sorts first) and its tie-break. */
export interface KeysetPosition {
  key: string | null;
  id: string;
}

/** The furthest position a reader had reached before it went back to re-read an overlap. */
export interface HighWater {
  key: string;
  id: string;
}

export function selectList(t: TableSql): string {
  return [`${t.key}::text`, `${t.id}::text`, ...t.columns, ...(t.deleted ? [t.deleted] : [])].join(', ');
}

/**
 * Builds one keyset page. With `hw`, each row ends with a boolean: true while
 * the row lies at or before the high-water mark (it is being re-read).
 */
function page(
  t: TableSql,
  limit: number,
  hw: HighWater | null,
  where: (param: (v: unknown) => string) => string,
) {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const flag = hw === null ? '' : `, (${t.key}, ${t.tie}) <= (${param(hw.key)}, ${param(hw.id)})`;
  const condition = where(param);
  const text =
    `SELECT ${selectList(t)}${flag} FROM ${t.table}${condition ? ` WHERE ${condition}` : ''} ` +
    `ORDER BY ${t.key} ASC NULLS FIRST, ${t.tie} ASC LIMIT ${param(limit)}`;
  return { text, values };
}

/**
 * One keyset page. The cursor column is compared as its own type (the text
 * parameter is cast by PostgreSQL, so microseconds survive) and ties are broken
 * by the id as text. `key >= $1` is redundant but lets an index on the cursor
 * column serve the scan.
 */
export function pageQuery(
  t: TableSql,
  after: KeysetPosition | null,
  limit: number,
  hw: HighWater | null = null,
) {
  return page(t, limit, hw, (param) => {
    if (after === null) return '';
    if (after.key === null) {
      return `(${t.key} IS NULL AND ${t.tie} > ${param(after.id)}) OR ${t.key} IS NOT NULL`;
    }
    const key = param(after.key);
    return `${t.key} >= ${key} AND (${t.key}, ${t.tie}) > (${key}, ${param(after.id)})`;
  });
}

/** Temporal types an overlap applies to, as the catalog names them → the cast used in SQL. */
export const OVERLAP_CASTS: Readonly<Record<string, string>> = {
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
  date: 'date',
};

/** The cursor column's type (a domain's base type), from the catalog; no row when there is no such column. */
export function cursorTypeQuery(t: TableSql, cursorColumn: string) {
  return {
    text: `SELECT format_type(coalesce(nullif(ty.typbasetype, 0), a.atttypid), NULL)
           FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
           WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    values: [t.table, cursorColumn],
  };
}

/**
 * The first page of an overlap re-read: every row whose cursor column lies at
 * most `overlapMs` before the high-water key, then on. A range on the cursor
 * column alone, so its index still serves the scan.
 */
export function overlapQuery(t: TableSql, hw: HighWater, cast: string, overlapMs: number, limit: number) {
  return page(
    t,
    limit,
    hw,
    (param) =>
      `${t.key} >= ${param(hw.key)}::${cast} - ${param(overlapMs)}::float8 * interval '1 millisecond'`,
  );
}

export function getQuery(t: TableSql, id: string) {
  return {
    // Qualified: the cursor column may also be mapped, and so be named twice in the select list.
    text: `SELECT ${selectList(t)} FROM ${t.table} WHERE ${t.id} = $1 ORDER BY ${t.table}.${t.key} DESC NULLS LAST LIMIT 1`,
    values: [id],
  };
}

/** The row to update, locked until the transaction ends; two rows mean the id is not unique. */
export function lockQuery(t: TableSql, id: string) {
  return {
    text: `SELECT ${selectList(t)} FROM ${t.table} WHERE ${t.id} = $1 LIMIT 2 FOR UPDATE`,
    values: [id],
  };
}

/** invalid_text_representation / numeric_value_out_of_range: no row can have this id. */
export function isImpossibleId(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '22P02' || code === '22003';
}
