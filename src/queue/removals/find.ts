import type { Connection } from '../../config/index.ts';
import type { CrmRecord } from '../../crm/types.ts';
import type { RunJob } from '../jobs.ts';
import type { Runtime } from '../runtime.ts';

const TOMBSTONE_PAGE = 500;
// A record archived just before the last read began may be listed only after it: read again.
const REPORTED_OVERLAP_MS = 10 * 60_000;

/**
 * What a run learns about removals besides the 404s its records met: the
 * tombstones of hard deletes (`crm install-trigger`); after a complete CRM
 * read, the linked records it did not see; after a complete Sahut scan, the
 * contacts it did not list (a miss each; two in a row make one due).
 */
export async function findRemovals(
  rt: Runtime,
  connection: Connection,
  data: RunJob,
  runId: string,
  /** Given the tombstones of records no link holds, before they are forgotten. */
  settleUnlinked: (crmIds: string[]) => Promise<void>,
) {
  await readTombstones(rt, connection, runId, settleUnlinked);
  if (data.direction === 'crm-to-sahut') await readReported(rt, connection, runId);
  if (data.direction === 'crm-to-sahut' && data.full && judgesAbsence(connection) && data.unreadable === 0)
    await rt.store.noteAbsentRecords(connection.name, runId);
  if (data.direction === 'sahut-to-crm' && data.scanComplete)
    await rt.store.countScanMisses(connection.name, runId);
}

/** A full read proves a deletion only where the source holds every record: a file only when it says so. */
export function judgesAbsence(connection: Connection): boolean {
  return connection.source.type !== 'file' || connection.source.fullExport;
}

/** Every id the delete trigger recorded becomes a removal (when linked), then leaves the tombstone table. */
async function readTombstones(
  rt: Runtime,
  connection: Connection,
  runId: string,
  settleUnlinked: (crmIds: string[]) => Promise<void>,
) {
  const tombstones = rt.connector(connection.name).tombstones;
  if (!tombstones) return;
  for (;;) {
    const ids = await tombstones.read(connection.name, TOMBSTONE_PAGE);
    if (ids.length === 0) return;
    const links = await rt.store.getLinks(connection.name, ids);
    const removals = [...links.values()].map((link) => ({
      crmId: link.crmId,
      side: 'crm' as const,
      sahutId: link.sahutId,
      reason: 'tombstone' as const,
    }));
    // Noted before forgotten: a crash between the two reads them again, harmlessly.
    await rt.store.noteRemovals(connection.name, runId, removals);
    const unlinked = ids.filter((id) => !links.has(id));
    if (unlinked.length > 0) await settleUnlinked(unlinked);
    await tombstones.forget(connection.name, ids);
    if (ids.length < TOMBSTONE_PAGE) return;
  }
}

/**
 * The removals a CRM reports itself (`CrmConnector.removals`), since the last
 * such read. The mark lives in Redis: lost, the CRM's whole list is read again,
 * which notes nothing twice (only open links become removals).
 */
async function readReported(rt: Runtime, connection: Connection, runId: string) {
  const connector = rt.connector(connection.name);
  if (!connector.removals) return;
  const key = `${rt.config.redis.prefix}:crm-removals-read:${connection.name}`;
  const since = Number((await rt.redis.get(key)) ?? 0);
  const startedAt = Date.now();
  for await (const page of connector.removals(Math.max(0, since - REPORTED_OVERLAP_MS))) {
    const links = await rt.store.getLinks(
      connection.name,
      page.map((r) => r.crmId),
    );
    await rt.store.noteRemovals(
      connection.name,
      runId,
      [...links.values()].map((link) => ({
        crmId: link.crmId,
        side: 'crm' as const,
        sahutId: link.sahutId,
        reason: 'tombstone' as const,
      })),
    );
  }
  await rt.redis.set(key, String(startedAt));
}

/**
 * Soft-deleted records read by a CRM→Sahut window: linked ones become removals (the
 * run's removal step books and settles them); the rest are returned, to settle as read.
 */
export async function noteSoftDeleted(
  rt: Runtime,
  connection: string,
  runId: string,
  deleted: readonly CrmRecord[],
): Promise<CrmRecord[]> {
  if (deleted.length === 0) return [];
  const links = await rt.store.getLinks(
    connection,
    deleted.map((r) => r.id),
  );
  const removals = [...links.values()].map((link) => ({
    crmId: link.crmId,
    side: 'crm' as const,
    sahutId: link.sahutId,
    reason: 'soft-deleted' as const,
  }));
  await rt.store.noteRemovals(connection, runId, removals);
  return deleted.filter((r) => !links.has(r.id));
}
