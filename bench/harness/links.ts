import type { Connection } from '../../src/config/index.ts';
import type { CrmRecord } from '../../src/crm/index.ts';
import type { Store } from '../../src/store/index.ts';
import { identityKeys, prepareRecord } from '../../src/sync/index.ts';

/**
 * Links every record as if an earlier sync had made it, with the hash the run
 * compares against (prepareRecord is what the run itself uses). Syncing 5×N
 * records through a rate-limited Sahut first would take minutes and measure
 * nothing new.
 */
export async function linkAll(store: Store, connection: Connection, records: CrmRecord[], region: string) {
  for (const [i, record] of records.entries()) {
    const prepared = prepareRecord(record, connection, region);
    if (prepared.kind !== 'ready') throw new Error(`bench record ${record.id} does not prepare`);
    const identity = identityKeys(prepared.contact);
    await store.upsertLink({
      connection: connection.name,
      crmId: record.id,
      sahutId: `ct_${String(i).padStart(14, '0')}`,
      phone: identity.phone,
      email: identity.email,
      base: prepared.contact,
      crmHash: prepared.hash,
      sahutHash: prepared.hash,
      syncedAt: new Date(),
    });
  }
}
