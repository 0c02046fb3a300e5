import type { ApplyPorts, CrmWriter, RecordOutcome } from '../sync/apply/ports.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { syncToCrm } from '../sync/apply/to-crm.ts';
import { syncToSahut } from '../sync/apply/to-sahut.ts';
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
  // Two-way: a CRM change is merged with the contact as Sahut holds it now (and the CRM gets
  // Sahut's side back), whichever direction's run comes first.
  const twoWay =
    connection.directions.includes('sahut-to-crm') && rt.connector(connection.name).capabilities.update;
  const ports: ApplyPorts = {
    sahut: rt.sahut,
    store: rt.store,
    locks: rt.locks,
    ...(twoWay ? { crm: crmWriter(rt, connection.name) } : {}),
  };
  return syncToSahut(ports, ctx, prepared, link);
}

export async function applyToCrm(
  rt: Runtime,
  data: JobOf<'sahut-to-crm'>,
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  const connection = rt.connection(data.connection);
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, ...(signal ? { signal } : {}) };
  const ports = { sahut: rt.sahut, store: rt.store, crm: crmWriter(rt, connection.name) };
  return syncToCrm(ports, ctx, data);
}

function crmWriter(rt: Runtime, name: string): CrmWriter {
  const connector = rt.connector(name);
  const update = connector.update?.bind(connector);
  if (!connector.capabilities.update || !update) throw new WriteBackUnsupportedError(cannotWriteBack(name));
  return { get: (id) => connector.get(id), update };
}
