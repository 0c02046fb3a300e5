import { createHash } from 'node:crypto';
import { extname, resolve } from 'node:path';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type { Pool } from 'pg';
import { z } from 'zod';
import { CrmError } from './errors.ts';
import { createFileConnector } from './file/index.ts';
import {
  createHubspotConnector,
  type DailyLimitSeen,
  type Limiter,
  type WindowLimit,
} from './hubspot/index.ts';
import { createMysqlConnector } from './mysql/index.ts';
import { MAX_PAGE_SIZE } from './paging.ts';
import { createPostgresConnector } from './postgres/index.ts';
import type { CrmConnector } from './types.ts';

const name = z.string().min(1);
const pageSize = z.int().min(1).max(MAX_PAGE_SIZE).optional().describe('Records per page, 500 unless set');
const deletedColumn = name
  .optional()
  .describe(
    'Soft-delete column: a time set when the row was deleted, or a boolean; such rows count as deleted',
  );
const notify = z
  .boolean()
  .optional()
  .describe('Sync changes within seconds through a trigger (`sahut-sync crm install-trigger`)');

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
    notify,
    deletedColumn,
  })
  .strict();

const mysqlSourceSchema = z
  .object({
    type: z.literal('mysql'),
    url: z
      .url({ protocol: /^(mysql|mariadb)$/, error: 'expected a mysql:// URL' })
      .describe('mysql://user:password@host:3306/database of the CRM (MySQL or MariaDB)'),
    database: name.optional().describe("Database of the table; the URL's when omitted"),
    table: name.describe('Table or view to read'),
    idColumn: name.default('id'),
    cursorColumn: name.default('updated_at').describe('DATETIME/TIMESTAMP column bumped on every change'),
    pageSize,
    tls: z
      .union([
        z.literal(true),
        z
          .object({
            ca: name.optional().describe('PEM file of the CA, relative to the connections file'),
            cert: name.optional().describe('PEM client certificate'),
            key: name.optional().describe('PEM client key'),
            rejectUnauthorized: z.boolean().default(true),
          })
          .strict(),
      ])
      .optional()
      .describe('true: TLS checked against the system CAs; or CA/client files'),
    pool: z
      .object({
        max: z.int().min(1).max(100).default(4),
        idleTimeoutMs: z.int().min(1000).default(60_000),
        connectTimeoutMs: z.int().min(100).default(10_000),
      })
      .strict()
      .optional()
      .describe('Connections per worker process: 4, idle ones closed after 60 s, connect timeout 10 s'),
    notify,
    deletedColumn,
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
    fullExport: z
      .boolean()
      .default(false)
      .describe('The file holds every record: a linked record missing from it counts as deleted'),
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

const hubspotSourceSchema = z
  .object({
    type: z.literal('hubspot'),
    token: name.describe("The private app's access token; write it as ${HUBSPOT_TOKEN}"),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .default('https://api.hubapi.com')
      .describe("HubSpot's API; the HubSpot sandbox's URL to try it locally"),
    pageSize,
    limits: z
      .object({
        burstPer10s: z
          .int()
          .min(1)
          .max(1000)
          .default(100)
          .describe("The private app's requests per 10 s: 100 Free/Starter, 190 Professional/Enterprise"),
        searchPerSecond: z.int().min(1).max(50).default(5).describe("The search API's requests per second"),
        dailyReserve: z
          .int()
          .min(0)
          .default(1000)
          .describe('Calls of the daily budget left to others: a run stops when HubSpot reports this few'),
      })
      .strict()
      .default({ burstPer10s: 100, searchPerSecond: 5, dailyReserve: 1000 }),
    webhook: z
      .object({
        clientSecret: name.describe(
          "The app's client secret, key of the v3 signatures; write it as ${HUBSPOT_CLIENT_SECRET}",
        ),
        url: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('The target URL as entered in HubSpot, when a proxy in front of serve changes it'),
      })
      .strict()
      .optional()
      .describe('Receive HubSpot webhooks at POST /webhooks/hubspot/<connection>'),
  })
  .strict();

/** Where a connection's CRM records come from. */
export const sourceSchema = z.discriminatedUnion('type', [
  postgresSourceSchema,
  mysqlSourceSchema,
  fileSourceSchema,
  hubspotSourceSchema,
]);
export type SourceConfig = z.output<typeof sourceSchema>;
export type MysqlSourceConfig = z.output<typeof mysqlSourceSchema>;
export type HubspotSourceConfig = z.output<typeof hubspotSourceSchema>;
export type SourceInput = z.input<typeof sourceSchema>;

/** A PostgreSQL source's URL: its own, or else the store's (DATABASE_URL). */
export function postgresUrlOf(source: { url?: string | undefined }, fallback: string | undefined): string {
  const url = source.url ?? fallback;
  if (url === undefined)
    throw new CrmError('SOURCE_INVALID', 'No PostgreSQL URL for this source: set source.url or DATABASE_URL');
  return url;
}

export interface ConnectorDeps {
  /** Returns a pool owned by the caller; `url` undefined means DATABASE_URL. */
  pgPoolFor(url: string | undefined): Pool;
  /** Returns a pool owned by the caller for the source's URL, TLS and pool settings. */
  mysqlPoolFor(source: MysqlSourceConfig): MysqlPool;
  /** Relative file paths are resolved against it (the config file's folder). */
  baseDir: string;
  /** The CRM columns the mapping reads (`sourceColumns(mapping)`); also all that write-back may touch. */
  columns: readonly string[];
  /** Columns only `create` may set besides those (`options.createInCrm.defaults`). */
  insertColumns?: readonly string[];
  /** A rolling-window limit shared by every worker (the Redis window limiter), by key; HubSpot's limits use it. */
  limiterFor?: (key: string, limit: WindowLimit) => Limiter;
  /** Called with HubSpot's daily budget whenever an answer reports it. */
  onDaily?: (seen: DailyLimitSeen) => void;
}

// The search limit is used whole: the shared limiter counts each request until its answer is
// back, so HubSpot's one-second window cannot see six, however the host delays requests. The
// 10-second limit keeps a tenth for calls made outside the shared limiter (doctor, init, the
// catalog, a dry run); search is the tighter of the two and the one runs wait on.
const BURST_SHARE = 0.9;

/** The shared limiters' key: per private app (its token), never the token itself. */
const appKey = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);

function hubspotConnector(source: HubspotSourceConfig, deps: ConnectorDeps): CrmConnector {
  const { limiterFor } = deps;
  const app = appKey(source.token);
  return createHubspotConnector({
    baseUrl: source.baseUrl,
    token: source.token,
    columns: deps.columns,
    ...(deps.insertColumns ? { insertColumns: deps.insertColumns } : {}),
    ...(source.pageSize ? { pageSize: source.pageSize } : {}),
    dailyReserve: source.limits.dailyReserve,
    ...(deps.onDaily ? { onDaily: deps.onDaily } : {}),
    ...(limiterFor
      ? {
          burst: limiterFor(`hubspot:${app}:burst`, {
            max: Math.max(1, Math.floor(source.limits.burstPer10s * BURST_SHARE)),
            windowMs: 10_000,
          }),
          search: limiterFor(`hubspot:${app}:search`, { max: source.limits.searchPerSecond, windowMs: 1000 }),
        }
      : {}),
  });
}

/** What the PostgreSQL and MySQL connectors take alike: the table, its keys, the columns and paging. */
function tableOptions(source: Extract<SourceConfig, { type: 'postgres' | 'mysql' }>, deps: ConnectorDeps) {
  return {
    table: source.table,
    idColumn: source.idColumn,
    cursorColumn: source.cursorColumn,
    columns: deps.columns,
    pageSize: source.pageSize,
    ...(deps.insertColumns ? { insertColumns: deps.insertColumns } : {}),
    ...(source.deletedColumn ? { deletedColumn: source.deletedColumn } : {}),
  };
}

export function createConnector(source: SourceConfig, deps: ConnectorDeps): CrmConnector {
  switch (source.type) {
    case 'postgres':
      return createPostgresConnector({
        pool: deps.pgPoolFor(source.url),
        schema: source.schema,
        ...tableOptions(source, deps),
      });
    case 'mysql':
      return createMysqlConnector({
        pool: deps.mysqlPoolFor(source),
        database: source.database,
        ...tableOptions(source, deps),
      });
    case 'hubspot':
      return hubspotConnector(source, deps);
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
