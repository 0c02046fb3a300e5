import { extname, resolve } from 'node:path';
import type { Pool } from 'pg';
import { z } from 'zod';
import { createFileConnector } from './file/index.ts';
import { MAX_PAGE_SIZE } from './paging.ts';
import { createPostgresConnector } from './postgres/index.ts';
import type { CrmConnector } from './types.ts';

const name = z.string().min(1);
const pageSize = z.int().min(1).max(MAX_PAGE_SIZE).optional().describe('Records per page, 500 unless set');

const postgresSourceSchema = z
  .object({
    type: z.literal('postgres'),
    url: z
      .url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// URL' })
      .optional()
      .describe('URL of the CRM database; the caller falls back to DATABASE_URL'),
    schema: name.optional().describe('Schema of the table; the search_path when omitted'),
    table: name.describe('Table or view to read'),
    idColumn: name.default('id'),
    cursorColumn: name.default('updated_at').describe('Timestamp column bumped on every change'),
    pageSize,
  })
  .strict();

const FORMAT_BY_EXTENSION: Record<string, { format: 'csv' | 'jsonl'; delimiter?: string }> = {
  '.csv': { format: 'csv' },
  '.tsv': { format: 'csv', delimiter: '\t' },
  '.jsonl': { format: 'jsonl' },
  '.ndjson': { format: 'jsonl' },
};

const fileSourceSchema = z
  .object({
    type: z.literal('file'),
    path: name.describe('CSV or JSONL file, relative to the config file'),
    format: z.enum(['csv', 'jsonl']).optional().describe('Taken from the extension when omitted'),
    idField: name.default('id'),
    delimiter: z.string().length(1).optional().describe('CSV delimiter, "," unless set (tab for .tsv)'),
    pageSize,
  })
  .strict()
  .transform((source, ctx) => {
    const byExtension = FORMAT_BY_EXTENSION[extname(source.path).toLowerCase()];
    const format = source.format ?? byExtension?.format;
    if (format === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: 'cannot tell from the file extension: set csv or jsonl',
      });
      return z.NEVER;
    }
    if (format === 'jsonl' && source.delimiter !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['delimiter'], message: 'applies to csv files only' });
      return z.NEVER;
    }
    const delimiter = source.delimiter ?? (format === 'csv' ? (byExtension?.delimiter ?? ',') : undefined);
    return { ...source, format, delimiter };
  });

/** Where a connection's CRM records come from. */
export const sourceSchema = z.discriminatedUnion('type', [postgresSourceSchema, fileSourceSchema]);
export type SourceConfig = z.output<typeof sourceSchema>;
export type SourceInput = z.input<typeof sourceSchema>;

export interface ConnectorDeps {
  /** Returns a pool owned by the caller; `url` undefined means DATABASE_URL. */
  pgPoolFor(url: string | undefined): Pool;
  /** Relative file paths are resolved against it (the config file's folder). */
  baseDir: string;
  /** The CRM columns the mapping reads (`sourceColumns(mapping)`); also all that write-back may touch. */
  columns: readonly string[];
}

export function createConnector(source: SourceConfig, deps: ConnectorDeps): CrmConnector {
  switch (source.type) {
    case 'postgres':
      return createPostgresConnector({
        pool: deps.pgPoolFor(source.url),
        schema: source.schema,
        table: source.table,
        idColumn: source.idColumn,
        cursorColumn: source.cursorColumn,
        columns: deps.columns,
        pageSize: source.pageSize,
      });
    case 'file':
      return createFileConnector({
        path: resolve(deps.baseDir, source.path),
        format: source.format,
        idField: source.idField,
        delimiter: source.delimiter,
        pageSize: source.pageSize,
      });
  }
}
