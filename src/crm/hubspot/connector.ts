import { CrmError } from '../errors.ts';
import { checkPageSize, DEFAULT_PAGE_SIZE } from '../paging.ts';
import type { CrmConnector, CrmRecord, IdentityProbe, ReadOptions } from '../types.ts';
import { createBatcher } from './batcher.ts';
import { decodeHubspotCursor } from './cursor.ts';
import { findContacts } from './find.ts';
import { createHubspotHttp, type HubspotHttpOptions } from './http.ts';
import type { DailyLimitSeen } from './limits.ts';
import { CONTACTS, TOKEN_INFO } from './paths.ts';
import { listPages, recordOf, searchPages } from './read.ts';
import { type CrmRemoval, removalsSince } from './removals.ts';
import { batchResponseSchema, listResponseSchema, tokenInfoSchema } from './schemas.ts';
import { BATCH_MAX, createWriter } from './write.ts';

export interface HubspotConnectorOptions extends HubspotHttpOptions {
  /** The mapped properties: what `read` returns in `data`, and all that write-back may touch. */
  columns: readonly string[];
  /** Properties only `create` may set besides the mapped ones. */
  insertColumns?: readonly string[];
  pageSize?: number;
}

export interface HubspotConnector extends CrmConnector {
  update(id: string, fields: Record<string, unknown>, expected: CrmRecord): Promise<CrmRecord>;
  create(fields: Record<string, unknown>): Promise<string>;
  findByIdentity(probe: IdentityProbe): Promise<CrmRecord[]>;
  /** Contacts archived or merged since then, a page at a time (for deletion handling). */
  removals(sinceMs: number, signal?: AbortSignal): AsyncIterable<CrmRemoval[]>;
  /** The daily budget as HubSpot last reported it. */
  daily(): DailyLimitSeen | null;
  /** The scopes the token carries (private apps). */
  scopes(): Promise<string[]>;
  /** One cheap call (a page of one contact), for the limits its answer reports. */
  probe(): Promise<DailyLimitSeen | null>;
}

/**
 * HubSpot contacts as a CRM source: a full read through the list endpoint, incremental reads
 * through the search API in (lastmodifieddate, id) order, write-back and creation in batches,
 * walk-in lookup by HubSpot's normalised phone and email. One undici pool, with timeouts.
 */
export function createHubspotConnector(opts: HubspotConnectorOptions): HubspotConnector {
  if (opts.columns.length === 0)
    throw new CrmError('SOURCE_INVALID', 'hubspot source: the mapping names no property');
  const http = createHubspotHttp(opts);
  const { columns } = opts;
  const defaultPageSize = checkPageSize(opts.pageSize, DEFAULT_PAGE_SIZE);
  const writer = createWriter(http, columns, opts.insertColumns ?? []);
  // Records of a batch are read side by side: one batch read for up to 100 of them.
  const getBatched = createBatcher<string, CrmRecord | null>(
    BATCH_MAX,
    async (ids) => {
      const read = await http.call({
        method: 'POST',
        path: `${CONTACTS}/batch/read?archived=false`,
        body: { inputs: ids.map((id) => ({ id })), properties: [...columns] },
        schema: batchResponseSchema,
      });
      // A merged-away id answers with the merged record under its new id: this one is gone.
      const found = new Map(read.results.map((o) => [o.id, recordOf(columns, o)]));
      return ids.map((id) => found.get(id) ?? null);
    },
    (id) => id,
  );

  return {
    capabilities: { incremental: true, update: true, create: true },

    async *read(cursor: string | null, readOpts: ReadOptions = {}) {
      const pageSize = checkPageSize(readOpts.pageSize, defaultPageSize);
      const ctx = { http, columns, signal: readOpts.signal };
      if (cursor === null) {
        yield* listPages(ctx, null, Date.now(), pageSize);
        return;
      }
      const c = decodeHubspotCursor(cursor);
      if (c.mode === 'list') yield* listPages(ctx, c.after, c.startedAt, pageSize);
      else yield* searchPages(ctx, { ts: c.ts, id: c.id }, c.hw ?? null, pageSize, readOpts.overlapMs ?? 0);
    },

    get: (id) => getBatched(id),

    update: writer.update,
    create: writer.create,
    findByIdentity: (probe) => findContacts(http, columns, probe),
    removals: (sinceMs, signal) => removalsSince(http, sinceMs, signal),
    daily: http.daily,

    async scopes() {
      const info = await http.call({
        method: 'POST',
        path: TOKEN_INFO,
        body: { tokenKey: opts.token },
        schema: tokenInfoSchema,
      });
      return info.scopes;
    },

    async probe() {
      await http.call({ method: 'GET', path: `${CONTACTS}?limit=1`, schema: listResponseSchema });
      return http.daily();
    },

    close: () => http.close(),
  };
}
