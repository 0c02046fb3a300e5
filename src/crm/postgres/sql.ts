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
}

export function tableSql(opts: {
  schema?: string | undefined;
  table: string;
  idColumn: string;
  cursorColumn: string;
  columns: readonly string[];
}): TableSql {
  const id = quoteIdent(opts.idColumn);
  return {
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

function selectList(t: TableSql): string {
  return [`${t.key}::text`, `${t.id}::text`, ...t.columns].join(', ');
}

/**
 * One keyset page. The cursor column is compared as its own type (the text
 * parameter is cast by PostgreSQL, so microseconds survive) and ties are broken
 * by the id as text. `key >= $1` is redundant but lets an index on the cursor
 * column serve the scan.
 */
export function pageQuery(t: TableSql, after: KeysetPosition | null, limit: number) {
  const order = `ORDER BY ${t.key} ASC NULLS FIRST, ${t.tie} ASC`;
  const head = `SELECT ${selectList(t)} FROM ${t.table}`;
  if (after === null) return { text: `${head} ${order} LIMIT $1`, values: [limit] };
  if (after.key === null) {
    return {
      text: `${head} WHERE (${t.key} IS NULL AND ${t.tie} > $1) OR ${t.key} IS NOT NULL ${order} LIMIT $2`,
      values: [after.id, limit],
    };
  }
  return {
    text: `${head} WHERE ${t.key} >= $1 AND (${t.key}, ${t.tie}) > ($1, $2) ${order} LIMIT $3`,
    values: [after.key, after.id, limit],
  };
}

export function getQuery(t: TableSql, id: string) {
  return {
    text: `SELECT ${selectList(t)} FROM ${t.table} WHERE ${t.id} = $1 ORDER BY ${t.key} DESC NULLS LAST LIMIT 1`,
    values: [id],
  };
}

/** invalid_text_representation / numeric_value_out_of_range: no row can have this id. */
export function isImpossibleId(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '22P02' || code === '22003';
}
