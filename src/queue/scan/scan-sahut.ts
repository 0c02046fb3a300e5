import type { Job } from 'bullmq';
import { contactHash } from '../../sync/hash.ts';
import { projectSahut } from '../../sync/project.ts';
import type { RunJob } from '../jobs.ts';
import { createFanOut } from '../runs/fan-out.ts';
import { settledEarlier } from '../runs/read-crm.ts';
import type { Runtime } from '../runtime.ts';
import { createIndexer, SCAN_PER_PAGE } from './sahut-index.ts';
import { walkInScan } from './walk-ins.ts';

/**
 * Sahut→CRM: Sahut has no `updated_at` to read changes from, so the run lists
 * every contact, page by page, as one window with no durable cursor. A linked
 * contact whose mapped fields (projected onto its link's base) hash as at the
 * last sync is settled here; the rest become child jobs that merge them into
 * their CRM records.
 *
 * Contacts with no link were never synced from this CRM: they are left alone,
 * unless `options.createInCrm` selects them (walk-ins.ts).
 * A contact linked to several CRM records (duplicates in the CRM) is not
 * written back either; each scan notes it in the audit.
 */
export async function scanSahut(rt: Runtime, job: Job, data: RunJob, runId: string): Promise<RunJob> {
  const connection = rt.connection(data.connection);
  const region = rt.config.defaultRegion;
  const out = createFanOut(rt, job, runId, connection.name, 'sahut-to-crm', data.window);
  // The scan lists every contact anyway: it refreshes the scan index and reports shared identities.
  const indexer = createIndexer(rt, connection.name, out.audit);
  await indexer.start();
  const walkIns = walkInScan(rt, connection, out);
  // Offset pages shift under concurrent writes: a contact listed twice is handled once, since the
  // run's books (out.read) take each record once; memory stays flat in Sahut's size.
  // Complete (what the removal step may judge disappearances by) only if Sahut's total never
  // moved and every contact it counted came back.
  let total: number | null = null;
  let steady = true;
  let listed = 0;
  for (let page = 1; ; page++) {
    const { data: contacts, meta } = await rt.sahut.list({ page, perPage: SCAN_PER_PAGE });
    total ??= meta.total;
    steady &&= meta.total === total;
    listed += contacts.length;
    const fresh = new Map(contacts.map((c) => [c.id, c]));
    await indexer.page(contacts);
    const found = await rt.store.getLinksBySahutIds(connection.name, [...fresh.keys()]);
    const linksOf = Map.groupBy(found, (link) => link.sahutId);
    // The records this run settles are the linked CRM records, each once (the books of the run).
    const mine = await out.read(found.map((link) => link.crmId));
    for (const link of found) {
      const contact = fresh.get(link.sahutId);
      if (!contact || !mine.has(link.crmId)) continue;
      if (contactHash(projectSahut(contact, link.base, region)) === link.sahutHash) {
        settledEarlier(out, link.crmId, link, runId);
        continue;
      }
      const sharers = linksOf.get(link.sahutId) ?? [];
      if (sharers.length > 1) {
        // Each CRM record last pushed its own values, so a per-link merge would copy one
        // duplicate's data into the other: nothing is written until the CRM duplicate is resolved.
        const ids = sharers
          .map((l) => l.crmId)
          .sort()
          .join(', ');
        const error = `Sahut contact ${link.sahutId} is shared by CRM records ${ids}: not written back`;
        out.audit(link.crmId, 'unchanged', { sahutId: link.sahutId, error });
        continue;
      }
      out.child({ sahutId: link.sahutId, crmId: link.crmId });
    }
    await walkIns.page([...fresh.values()].filter((contact) => !linksOf.has(contact.id)));
    await out.flush();
    if (contacts.length === 0 || page >= meta.total_pages) break;
  }
  await indexer.finish();
  const scanComplete = steady && listed === total;
  return { ...data, step: 'wait', windowEnd: null, more: false, scanComplete };
}
