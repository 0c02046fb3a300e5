import type { CrmPage, CrmRecord } from '../types.ts';
import { compareIds, comparePositions, listCursor, NO_ID, type Position, searchCursor } from './cursor.ts';
import type { HubspotHttp } from './http.ts';
import { CONTACTS } from './paths.ts';
import {
  batchResponseSchema,
  listResponseSchema,
  type PublicObject,
  searchResponseSchema,
} from './schemas.ts';

export const SEARCH_MAX = 200;
export const LIST_MAX = 100;
export const BATCH_READ_MAX = 100;

export interface ReadContext {
  http: HubspotHttp;
  /** The mapped properties: what a record's `data` holds. */
  columns: readonly string[];
  signal: AbortSignal | undefined;
}

export const recordOf = (columns: readonly string[], o: PublicObject): CrmRecord => ({
  id: o.id,
  data: Object.fromEntries(columns.map((c) => [c, o.properties[c] ?? null])),
});

/** Where a record stands in the change order: its lastmodifieddate (updatedAt when absent), then its id. */
export function positionOf(o: PublicObject): Position {
  const stamp = o.properties.lastmodifieddate ?? o.updatedAt;
  const ts = /^\d+$/.test(stamp) ? Number(stamp) : Date.parse(stamp);
  return { ts: Number.isFinite(ts) ? ts : 0, id: o.id };
}

const items = (ctx: ReadContext, objects: readonly PublicObject[]) =>
  objects.map((o) => ({ ok: true as const, record: recordOf(ctx.columns, o) }));

/**
 * The full read: the list endpoint in id order, `after` paging, no cap. The last page's cursor
 * hands over to the search cursor at the moment the read began, so what changed meanwhile is
 * read by the next incremental run. One page is fetched ahead to know which page is the last.
 */
export async function* listPages(
  ctx: ReadContext,
  after: string | null,
  startedAt: number,
  pageSize: number,
): AsyncGenerator<CrmPage> {
  const limit = Math.min(pageSize, LIST_MAX);
  const properties = ctx.columns.join(',');
  const fetchPage = (from: string | null) =>
    ctx.http.call(
      {
        method: 'GET',
        path: `${CONTACTS}?limit=${limit}&properties=${encodeURIComponent(properties)}&archived=false${from ? `&after=${encodeURIComponent(from)}` : ''}`,
        schema: listResponseSchema,
      },
      ctx.signal,
    );
  let page = await fetchPage(after);
  for (;;) {
    const next = page.paging?.next?.after;
    if (!next) {
      if (page.results.length > 0)
        yield { items: items(ctx, page.results), cursor: searchCursor({ ts: startedAt, id: NO_ID }, null) };
      return;
    }
    const following = await fetchPage(next);
    // An empty page before the end (records deleted meanwhile) carries nothing to yield.
    if (page.results.length > 0)
      yield { items: items(ctx, page.results), cursor: listCursor(next, startedAt) };
    page = following;
  }
}

/**
 * The incremental read: changes in (lastmodifieddate, id) order from a position on, through the
 * search API. HubSpot allows one sort and caps a query at 10,000 results, so every page is a new
 * query anchored at the position (never an offset): a page's records stamped before its last
 * stamp are complete and emitted; those at the last stamp are read again from there, and when a
 * whole page shares one stamp (a bulk import in one millisecond) they are walked by id. With
 * `overlapMs`, a reader starting from a plain cursor goes back that far first (the index lags
 * writes); `hw` marks where it had got to, so resuming inside the overlap does not go back again.
 *
 * Search orders and finds; what it answers is the index's copy, which lags writes: a record
 * written back a moment ago still shows its older values there. Passing those on would undo the
 * write-back in Sahut, so each page's records are read live (one batch read per 100) and passed
 * on as they are now; one archived or merged meanwhile is left to `removals`. Positions stay the
 * index's: a newer version is read again when the index shows it, and settled by its hash.
 */
export async function* searchPages(
  ctx: ReadContext,
  start: Position,
  startHw: Position | null,
  pageSize: number,
  overlapMs: number,
): AsyncGenerator<CrmPage> {
  const limit = Math.min(pageSize, SEARCH_MAX);
  let hw = startHw;
  let pos = start;
  if (!hw && overlapMs > 0) {
    hw = start;
    pos = { ts: start.ts - overlapMs, id: NO_ID };
  }
  let ties = false;
  // The next query is asked while the page is passed on: the search limit, not the handling of
  // each page, then sets the pace. Left unread when the reader stops early, it is dropped.
  let ahead = search(ctx, pos, ties, limit);
  try {
    for (;;) {
      const results = await ahead;
      let emitted: PublicObject[];
      let done = false;
      if (ties) {
        emitted = results;
        ties = results.length === limit;
        const last = results.at(-1);
        if (last) pos = { ts: pos.ts, id: last.id };
      } else if (results.length < limit) {
        emitted = sortByPosition(results);
        const last = emitted.at(-1);
        if (last) pos = positionOf(last);
        done = true;
      } else {
        const lastTs = Math.max(...results.map((o) => positionOf(o).ts));
        emitted = sortByPosition(results.filter((o) => positionOf(o).ts < lastTs));
        // Records at the last stamp may continue on a next page: read them from the stamp on.
        if (lastTs !== pos.ts) pos = { ts: lastTs, id: NO_ID };
        ties = emitted.length === 0;
      }
      if (hw && comparePositions(pos, hw) > 0) hw = null;
      if (!done) ahead = search(ctx, pos, ties, limit);
      // Search finds and orders; each record is passed on as it is now (the index lags writes).
      const live = emitted.length > 0 ? await readLive(ctx, emitted) : [];
      if (live.length > 0) yield { items: items(ctx, live), cursor: searchCursor(pos, hw) };
      if (done) return;
    }
  } finally {
    ahead.catch(() => {});
  }
}

/** The records as they are now, in the given order; those no longer live (archived, merged) left out. */
async function readLive(ctx: ReadContext, objects: readonly PublicObject[]): Promise<PublicObject[]> {
  const found = new Map<string, PublicObject>();
  for (let i = 0; i < objects.length; i += BATCH_READ_MAX) {
    const read = await ctx.http.call(
      {
        method: 'POST',
        path: `${CONTACTS}/batch/read?archived=false`,
        body: {
          inputs: objects.slice(i, i + BATCH_READ_MAX).map((o) => ({ id: o.id })),
          properties: [...ctx.columns],
        },
        schema: batchResponseSchema,
      },
      ctx.signal,
    );
    // A merged-away id answers with the merged record under its new id: this one is gone.
    for (const o of read.results) found.set(o.id, o);
  }
  return objects.flatMap((o) => found.get(o.id) ?? []);
}

const sortByPosition = (objects: readonly PublicObject[]) =>
  [...objects].sort((a, b) => comparePositions(positionOf(a), positionOf(b)));

/** One query: after the position in stamp order, or (`ties`) at the position's stamp in id order. */
function search(ctx: ReadContext, pos: Position, ties: boolean, limit: number): Promise<PublicObject[]> {
  const atStamp = [
    { propertyName: 'lastmodifieddate', operator: 'EQ', value: String(pos.ts) },
    { propertyName: 'hs_object_id', operator: 'GT', value: pos.id },
  ];
  const body = {
    filterGroups: ties
      ? [{ filters: atStamp }]
      : [
          { filters: atStamp },
          { filters: [{ propertyName: 'lastmodifieddate', operator: 'GT', value: String(pos.ts) }] },
        ],
    sorts: [{ propertyName: ties ? 'hs_object_id' : 'lastmodifieddate', direction: 'ASCENDING' }],
    // Only the position: the values come from the live read.
    properties: ['lastmodifieddate'],
    limit,
  };
  return ctx.http
    .call({ method: 'POST', path: `${CONTACTS}/search`, body, schema: searchResponseSchema }, ctx.signal)
    .then((r) => (ties ? [...r.results].sort((a, b) => compareIds(a.id, b.id)) : r.results));
}
