import type { RecordOutcome } from '../sync/apply/ports.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { syncToCrm, type ToCrmPorts } from '../sync/apply/to-crm.ts';
import { syncToSahut } from '../sync/apply/to-sahut.ts';
import { contactHash, projectSahut } from '../sync/index.ts';
import type { RecordJob } from './jobs.ts';
import type { Runtime } from './runtime.ts';

type JobOf<D extends RecordJob['direction']> = Extract<RecordJob, { direction: D }>;

export const cannotWriteBack = (connection: string) =>
  `connection ${connection} cannot sync sahut-to-crm: its CRM connector cannot write back (capabilities.update is false)`;

/** Configuration, not data: no retry helps until the connection changes. */
class WriteBackUnsupportedError extends Error {
  readonly permanent = true;
}

export async function applyToSahut(
  rt: Runtime,
  data: JobOf<'crm-to-sahut'>,
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  const connection = rt.connection(data.connection);
  const prepared = prepareRecord(data.record, connection, rt.config.defaultRegion);
  if (prepared.kind === 'rejected') {
    return { action: 'rejected', crmId: data.record.id, sahutId: null, diff: null, error: prepared.reason };
  }
  const link = (await rt.store.getLinks(connection.name, [prepared.crmId])).get(prepared.crmId);
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, ...(signal ? { signal } : {}) };
  // Both ways synced and both sides changed since the base: merge, or the CRM's push would
  // silently overwrite an agent's edit that the next Sahut→CRM scan has not collected yet.
  if (link && link.crmHash !== prepared.hash && connection.directions.includes('sahut-to-crm')) {
    const current = await rt.sahut.get(link.sahutId, { signal });
    const sahutChanged =
      current && contactHash(projectSahut(current, link.base, ctx.defaultRegion)) !== link.sahutHash;
    if (sahutChanged) {
      const target = {
        runId: data.runId,
        connection: data.connection,
        sahutId: link.sahutId,
        crmId: link.crmId,
      };
      return applyToCrm(rt, { direction: 'sahut-to-crm', ...target }, signal);
    }
  }
  return syncToSahut(rt, ctx, prepared, link);
}

export async function applyToCrm(
  rt: Runtime,
  data: JobOf<'sahut-to-crm'>,
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  const connection = rt.connection(data.connection);
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, ...(signal ? { signal } : {}) };
  const ports = { sahut: rt.sahut, store: rt.store, crm: crmWriter(rt, connection.name) };
  const outcome = await syncToCrm(ports, ctx, data);
  if (outcome.conflicts.length > 0) {
    // Field names and resolutions only: the values (personal data) are in the audit row.
    const conflicts = outcome.conflicts.map((c) => `${c.field} → ${c.resolution}`);
    rt.log.warn(
      { runId: data.runId, connection: connection.name, crmId: data.crmId, sahutId: data.sahutId, conflicts },
      'both sides changed the same field since the last sync',
    );
  }
  return outcome;
}

function crmWriter(rt: Runtime, name: string): ToCrmPorts['crm'] {
  const connector = rt.connector(name);
  const update = connector.update?.bind(connector);
  if (!connector.capabilities.update || !update) throw new WriteBackUnsupportedError(cannotWriteBack(name));
  return { get: (id) => connector.get(id), update };
}
