import type { Connection } from '../../config/connections.ts';
import type { SahutApi } from '../../sahut/types.ts';
import type { Store } from '../../store/types.ts';
import { type CrmWriter, goneOutcome, type RecordOutcome, type RemovalNotes } from './ports.ts';
import { prepareRecord } from './prepare.ts';
import { type ReconcileOutcome, reconcile } from './reconcile.ts';

/** The I/O write-back needs: Sahut, the links, and one CRM connector that can update. */
export interface ToCrmPorts {
  sahut: Pick<SahutApi, 'get' | 'update'>;
  store: Pick<Store, 'getLinks' | 'upsertLink' | 'findLinks'>;
  crm: CrmWriter;
  /** Where a gone side is noted for the run's removal step; absent, it fails the record. */
  removals?: RemovalNotes;
}

export interface ToCrmContext {
  connection: Connection;
  defaultRegion: string;
  /** The run writing: noted on the links it saves (see `Link.writtenBy`). */
  runId?: string | undefined;
  signal?: AbortSignal;
}

export interface ToCrmTarget {
  sahutId: string;
  crmId: string;
}

/** One side of a link is gone: no retry can bring it back. */
export class LinkedRecordGoneError extends Error {
  readonly permanent = true;
}

/**
 * Merges one linked Sahut contact that changed since the last sync into its
 * CRM record (and the CRM's pending changes into the contact): one GET, then
 * `reconcile`. Idempotent: a second pass finds both sides at the merged base
 * and writes nothing.
 */
export async function syncToCrm(
  ports: ToCrmPorts,
  ctx: ToCrmContext,
  target: ToCrmTarget,
): Promise<ReconcileOutcome | RecordOutcome> {
  const { connection, defaultRegion, signal } = ctx;
  const { sahutId, crmId } = target;
  const link = (await ports.store.getLinks(connection.name, [crmId])).get(crmId);
  if (!link || link.sahutId !== sahutId) {
    const now = link ? `now linked to ${link.sahutId}` : 'no longer linked';
    return { ...target, action: 'unchanged', diff: null, error: `skipped: CRM record ${crmId} is ${now}` };
  }
  const gone = async (side: 'crm' | 'sahut', message: string) => {
    if (!ports.removals) throw new LinkedRecordGoneError(message);
    const removal = { crmId, side, sahutId, reason: 'not-found' } as const;
    await ports.removals(removal);
    return goneOutcome(crmId, removal);
  };
  const record = await ports.crm.get(crmId);
  if (!record || record.deleted) return gone('crm', `record ${crmId} deleted in the CRM`);
  const prepared = prepareRecord(record, connection, defaultRegion);
  if (prepared.kind === 'rejected')
    return { ...target, action: 'rejected', diff: null, error: prepared.reason };
  // Sahut last: a PUT computed from this read follows it with nothing else awaited in between.
  const current = await ports.sahut.get(sahutId, { signal });
  if (!current) return gone('sahut', `contact ${sahutId} deleted in Sahut`);
  const sahutReadAt = performance.now();
  return reconcile(
    ports,
    { ...ctx, direction: 'sahut-to-crm' },
    { link, crm: prepared, sahut: current, sahutReadAt },
  );
}
