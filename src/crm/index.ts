/**
 * CRM connectors: where records come from and where Sahut-owned fields are
 * written back. Every connector implements {@link CrmConnector}; the shared
 * suite in test/crm-connector-suite.ts checks any new one.
 *
 * Adding your own CRM takes one file. A minimal connector over an array
 * (src/crm/memory/index.ts is the complete version, with write-back):
 *
 * ```ts
 * import type { CrmConnector, CrmRecord } from './types.ts';
 *
 * export function createArrayConnector(records: CrmRecord[]): CrmConnector {
 *   const encode = (index: number) => Buffer.from(String(index)).toString('base64url');
 *   const decode = (cursor: string) => Number(Buffer.from(cursor, 'base64url').toString());
 *   return {
 *     capabilities: { incremental: false, update: false, create: false },
 *     async *read(cursor, opts = {}) {
 *       const size = opts.pageSize ?? 500;
 *       // Stable order, each record once, and a cursor that resumes right after the page.
 *       for (let start = cursor === null ? 0 : decode(cursor); start < records.length; start += size) {
 *         const page = records.slice(start, start + size);
 *         yield { items: page.map((record) => ({ ok: true, record })), cursor: encode(start + page.length) };
 *       }
 *     },
 *     async get(id) {
 *       return records.find((r) => r.id === id) ?? null;
 *     },
 *     async close() {},
 *   };
 * }
 * ```
 *
 * Rows that cannot be read as records are items too (`{ ok: false, rejected:
 * { ref, reason } }`), never exceptions, so one bad row cannot stop a run.
 */

export {
  type ColumnFacts,
  openCatalog,
  type SampleRow,
  type SourceCatalog,
  type SourceFacts,
  type WriteDenied,
} from './catalog/index.ts';
export { sameRecordData } from './compare.ts';
export {
  type ConnectorDeps,
  createConnector,
  type HubspotSourceConfig,
  type MysqlSourceConfig,
  type SourceConfig,
  type SourceInput,
  sourceSchema,
} from './config.ts';
export { CRM_ERROR_CODES, CrmError, type CrmErrorCode, isCrmError, StaleRecordError } from './errors.ts';
export { createFileConnector, DEFAULT_MAX_RECORD_BYTES, type FileConnectorOptions } from './file/index.ts';
export {
  type CrmRemoval,
  createHubspotConnector,
  type DailyLimitSeen,
  HubspotApiError,
  type HubspotConnector,
  type HubspotConnectorOptions,
  type Limiter,
  verifyHubspotSignature,
  type WindowLimit,
} from './hubspot/index.ts';
export { createMemoryConnector, type MemoryConnector } from './memory/index.ts';
export {
  createMysqlConnector,
  createMysqlPool,
  type MysqlConnectorOptions,
  type MysqlPoolSettings,
} from './mysql/index.ts';
export {
  CHANGE_LOG,
  CHANNEL,
  type ChangeFeed,
  type ChangeFeedHandlers,
  listenPostgres,
  pollMysql,
  runTriggerSql,
  triggerSql,
} from './notify/index.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.ts';
export { createPostgresConnector, type PostgresConnectorOptions } from './postgres/index.ts';
export type {
  CrmCapabilities,
  CrmConnector,
  CrmItem,
  CrmPage,
  CrmRecord,
  CrmRejectedRow,
  IdentityProbe,
  ReadOptions,
} from './types.ts';
