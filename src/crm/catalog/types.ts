/** One column of a source as its catalog describes it. */
export interface ColumnFacts {
  name: string;
  /** The database's type name (`timestamp with time zone`, `varchar`), or `text` for a file. */
  type: string;
  /** A timestamp, datetime or date: what a cursor column should be. */
  temporal: boolean;
}

/** A sampled row: every value as text (lists and objects as JSON), null when empty or binary. */
export type SampleRow = Record<string, string | null>;

/** What a source is made of, read from its catalog (or a file's first records) without changing it. */
export interface SourceFacts {
  /** For messages: `public.contacts`, `shop.customers`, `file contacts.csv`. */
  label: string;
  /** The schema (PostgreSQL) or database (MySQL) the table was found in. */
  namespace?: string;
  relation: 'table' | 'view' | 'file';
  columns: ColumnFacts[];
  /** The primary key's columns; empty for a view or a file. */
  primaryKey: string[];
  /** Columns that lead an index (so `ORDER BY column` can use it); null where the catalog cannot say (a view, a file). */
  indexed: string[] | null;
  sample: SampleRow[];
}

/**
 * Reads what a source holds and allows, for `sahut-sync init` (guessing a mapping) and
 * `sahut-sync doctor` (checking one). Never writes. A new kind of source (an API CRM) adds
 * one reader answering `facts` with its fields as columns; the database checks are optional.
 */
export interface SourceCatalog {
  /** null when the table, view or file does not exist. */
  facts(sampleSize: number): Promise<SourceFacts | null>;
  /** Whether `crm install-trigger` of this connection is in place (database sources). */
  triggerInstalled?(connection: string): Promise<boolean>;
  /** Why this session may not update `update` or insert `insert` columns, and the grant that fixes it; null when it may. */
  writeDenied?(update: readonly string[], insert: readonly string[]): Promise<WriteDenied | null>;
  /** The statement that indexes `column` (database sources). */
  createIndexSql?(column: string): string;
  close(): Promise<void>;
}

export interface WriteDenied {
  problem: string;
  /** The statement a DBA runs to allow it. */
  grant: string;
}

/** A value as read by a driver → sample text. */
export function sampleValue(value: unknown): string | null {
  if (value === null || value === undefined || Buffer.isBuffer(value)) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export const sampleRow = (row: Record<string, unknown>): SampleRow =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, sampleValue(v)]));
