import { z } from 'zod';
import type { HubspotSourceConfig } from '../config.ts';
import { createHubspotHttp } from '../hubspot/http.ts';
import { CONTACTS } from '../hubspot/paths.ts';
import { listResponseSchema } from '../hubspot/schemas.ts';
import type { SourceCatalog, SourceFacts } from './types.ts';
import { sampleRow } from './types.ts';

const propertiesSchema = z.object({
  results: z.array(
    z
      .object({
        name: z.string(),
        type: z.string(),
        modificationMetadata: z.object({ readOnlyValue: z.boolean().optional() }).loose().optional(),
      })
      .loose(),
  ),
});

/** HubSpot's contact properties as columns (`GET /crm/v3/properties/contacts`), and a few contacts as the sample. */
export function hubspotCatalog(source: Pick<HubspotSourceConfig, 'baseUrl' | 'token'>): SourceCatalog {
  const http = createHubspotHttp({ baseUrl: source.baseUrl, token: source.token, retries: 1 });
  return {
    async facts(sampleSize): Promise<SourceFacts | null> {
      const { results } = await http.call({
        method: 'GET',
        path: '/crm/v3/properties/contacts',
        schema: propertiesSchema,
      });
      // HubSpot's own read-only properties (calculated phones, analytics) are no one's to map.
      const own = results.filter(
        (p) =>
          !(p.modificationMetadata?.readOnlyValue && p.name.startsWith('hs_') && p.name !== 'hs_object_id'),
      );
      const columns = own.map((p) => ({
        name: p.name,
        type: p.type,
        temporal: p.type === 'datetime' || p.type === 'date',
      }));
      // HubSpot accounts have hundreds of properties: sample the account's own and the common ones, in one URL.
      const sampled = columns
        .map((c) => c.name)
        .filter((n) => !n.startsWith('hs_'))
        .slice(0, 100);
      const sample =
        sampleSize > 0
          ? (
              await http.call({
                method: 'GET',
                path: `${CONTACTS}?limit=${Math.min(sampleSize, 100)}&properties=${encodeURIComponent(sampled.join(','))}`,
                schema: listResponseSchema,
              })
            ).results.map((o) => sampleRow(o.properties))
          : [];
      return {
        label: 'HubSpot contacts',
        relation: 'table',
        columns,
        primaryKey: ['hs_object_id'],
        indexed: null,
        sample,
      };
    },
    close: () => http.close(),
  };
}
