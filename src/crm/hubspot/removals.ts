import type { HubspotHttp } from './http.ts';
import { CONTACTS } from './paths.ts';
import { listResponseSchema, searchResponseSchema } from './schemas.ts';

/** A contact gone from HubSpot: archived (deleted, restorable 90 days), or merged into another. */
export interface CrmRemoval {
  crmId: string;
  kind: 'archived' | 'merged';
  /** ISO time of the archive, or the merged record's last modification. */
  at: string;
  /** The record a merged contact lives on in (HubSpot mints a new id on merge). */
  mergedInto?: string;
}

/**
 * Contacts archived or merged since `sinceMs`: archived ones from the list endpoint's archived
 * view (`archivedAt`), merged ones from the records whose `hs_merged_object_ids` names them.
 * A page at a time, for the deletion handling to act on.
 */
export async function* removalsSince(
  http: HubspotHttp,
  sinceMs: number,
  signal?: AbortSignal,
): AsyncGenerator<CrmRemoval[]> {
  for (let after: string | undefined; ; ) {
    const page = await http.call(
      {
        method: 'GET',
        path: `${CONTACTS}?archived=true&limit=100&properties=hs_object_id${after ? `&after=${encodeURIComponent(after)}` : ''}`,
        schema: listResponseSchema,
      },
      signal,
    );
    const gone = page.results.filter(
      (o) => o.archivedAt !== undefined && Date.parse(o.archivedAt) >= sinceMs,
    );
    if (gone.length > 0)
      yield gone.map((o) => ({ crmId: o.id, kind: 'archived' as const, at: o.archivedAt ?? '' }));
    after = page.paging?.next?.after;
    if (!after) break;
  }
  for (let offset = 0; offset < 10_000; ) {
    const body = {
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_merged_object_ids', operator: 'HAS_PROPERTY' },
            { propertyName: 'lastmodifieddate', operator: 'GTE', value: String(sinceMs) },
          ],
        },
      ],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['hs_merged_object_ids', 'lastmodifieddate'],
      limit: 200,
      after: String(offset),
    };
    const page = await http.call(
      { method: 'POST', path: `${CONTACTS}/search`, body, schema: searchResponseSchema },
      signal,
    );
    const merged = page.results.flatMap((o) =>
      (o.properties.hs_merged_object_ids ?? '')
        .split(';')
        .filter((id) => id !== '' && id !== o.id)
        .map((crmId) => ({ crmId, kind: 'merged' as const, at: o.updatedAt, mergedInto: o.id })),
    );
    if (merged.length > 0) yield merged;
    if (!page.paging?.next) break;
    offset += page.results.length;
  }
}
