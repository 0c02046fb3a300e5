import type { CrmRecord } from '../crm/types.ts';
import { sahutContactSchema } from '../sahut/index.ts';
import type { ApplyPorts, CrmWriter, RecordOutcome, ScanIndex } from '../sync/apply/ports.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { syncToCrm, type ToCrmTarget } from '../sync/apply/to-crm.ts';
import { syncToSahut } from '../sync/apply/to-sahut.ts';
import type { Runtime } from './runtime.ts';
import { indexCreated } from './sahut-index.ts';
import { applyWalkIn } from './walk-ins.ts';

export const cannotWriteBack = (connection: string) =>
  `connection ${connection} cannot sync sahut-to-crm: its CRM connector cannot write back (capabilities.update is false)`;

/** Configuration, not data: no retry helps until the connection changes. */
class WriteBackUnsupportedError extends Error {
  readonly permanent = true;
}

export async function applyToSahut(
  rt: Runtime,
  job: { connection: string; match?: 'search' | 'index' },
  record: CrmRecord,
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  const connection = rt.connection(job.connection);
  const match = job.match ?? 'search';
  const prepared = prepareRecord(record, connection, rt.config.defaultRegion);
  if (prepared.kind === 'rejected') {
    return { action: 'rejected', crmId: record.id, sahutId: null, diff: null, error: prepared.reason };
  }
  const link = (await rt.store.getLinks(connection.name, [prepared.crmId])).get(prepared.crmId);
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, match, ...(signal ? { signal } : {}) };
  // Two-way: a CRM change is merged with the contact as Sahut holds it now (and the CRM gets
  // Sahut's side back), whichever direction's run comes first.
  const twoWay =
    connection.directions.includes('sahut-to-crm') && rt.connector(connection.name).capabilities.update;
  const ports: ApplyPorts = {
    sahut: rt.sahut,
    store: rt.store,
    locks: rt.locks,
    index: scanIndex(rt, connection.name),
    ...(twoWay ? { crm: crmWriter(rt, connection.name) } : {}),
  };
  return syncToSahut(ports, ctx, prepared, link);
}

export async function applyToCrm(
  rt: Runtime,
  name: string,
  target: ToCrmTarget & { walkIn?: true | undefined },
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  if (target.walkIn) return applyWalkIn(rt, name, target, signal);
  const connection = rt.connection(name);
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, ...(signal ? { signal } : {}) };
  const ports = { sahut: rt.sahut, store: rt.store, crm: crmWriter(rt, connection.name) };
  return syncToCrm(ports, ctx, { sahutId: target.sahutId, crmId: target.crmId });
}

function scanIndex(rt: Runtime, connection: string): ScanIndex {
  return {
    async find(identity) {
      return (await rt.store.findIndexed(identity)).flatMap((raw) => {
        const parsed = sahutContactSchema.safeParse(raw);
        return parsed.success ? [parsed.data] : [];
      });
    },
    add: (contact) => indexCreated(rt, connection, contact),
  };
}

function crmWriter(rt: Runtime, name: string): CrmWriter {
  const connector = rt.connector(name);
  const update = connector.update?.bind(connector);
  if (!connector.capabilities.update || !update) throw new WriteBackUnsupportedError(cannotWriteBack(name));
  return { get: (id) => connector.get(id), update };
}
