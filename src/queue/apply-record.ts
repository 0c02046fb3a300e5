import type { CrmRecord } from '../crm/types.ts';
import { sahutContactSchema } from '../sahut/index.ts';
import type { NewRemoval } from '../store/types.ts';
import type { ApplyPorts, CrmWriter, RecordOutcome, ScanIndex } from '../sync/apply/ports.ts';
import { prepareRecord } from '../sync/apply/prepare.ts';
import { syncToCrm, type ToCrmTarget } from '../sync/apply/to-crm.ts';
import { syncToSahut } from '../sync/apply/to-sahut.ts';
import { createClaims } from './claims.ts';
import type { Runtime } from './runtime.ts';
import { indexCreated } from './sahut-index.ts';
import { applyWalkIn } from './walk-ins.ts';

export const cannotWriteBack = (connection: string) =>
  `connection ${connection} cannot sync sahut-to-crm: its CRM connector cannot write back (capabilities.update is false)`;

/** Configuration, not data: no retry helps until the connection changes. */
class WriteBackUnsupportedError extends Error {
  readonly permanent = true;
}

/**
 * Prepares one crm-to-sahut record job: the links of its records and the
 * decisions people made about them are read once for the whole batch (one
 * query each); each record then goes through `syncToSahut` on its own, and
 * anything that must be fresh (a link made meanwhile, under the identity lock)
 * is read again there.
 */
export async function prepareToSahut(
  rt: Runtime,
  job: { connection: string; runId: string; match?: 'search' | 'index' },
  crmIds: readonly string[],
  signal?: AbortSignal,
): Promise<(record: CrmRecord) => Promise<RecordOutcome>> {
  const connection = rt.connection(job.connection);
  const [links, decisions] = await Promise.all([
    rt.store.getLinks(connection.name, crmIds),
    rt.store.getDecisions(connection.name, crmIds),
  ]);
  const ctx = {
    connection,
    defaultRegion: rt.config.defaultRegion,
    match: job.match ?? 'search',
    runId: job.runId,
    ...(signal ? { signal } : {}),
  };
  const ports: ApplyPorts = {
    ...toSahutPorts(rt, connection.name, async (_name, crmId) => decisions.get(crmId) ?? null),
    removals: (removal) => rt.store.noteRemovals(connection.name, job.runId, [removal]),
  };
  return async (record) => {
    const prepared = prepareRecord(record, connection, rt.config.defaultRegion);
    if (prepared.kind === 'rejected')
      return { action: 'rejected', crmId: record.id, sahutId: null, diff: null, error: prepared.reason };
    return syncToSahut(ports, ctx, prepared, links.get(prepared.crmId));
  };
}

/** What applying a record to Sahut needs (decisions read one by one unless the caller has them). */
export function toSahutPorts(
  rt: Runtime,
  name: string,
  getDecision: ApplyPorts['store']['getDecision'] = (connection, crmId) =>
    rt.store.getDecision(connection, crmId),
): ApplyPorts {
  const connection = rt.connection(name);
  // Two-way: a CRM change is merged with the contact as Sahut holds it now (and the CRM gets
  // Sahut's side back), whichever direction's run comes first.
  const twoWay =
    connection.directions.includes('sahut-to-crm') && rt.connector(connection.name).capabilities.update;
  return {
    sahut: rt.sahut,
    store: {
      getLinks: (n, ids) => rt.store.getLinks(n, ids),
      upsertLink: (link) => rt.store.upsertLink(link),
      findLinks: (lookup, limit) => rt.store.findLinks(lookup, limit),
      getDecision,
    },
    locks: rt.locks,
    claims: createClaims(rt.store, { connection: connection.name, lockMs: rt.config.worker.lockMs }),
    index: scanIndex(rt, connection.name),
    ...(twoWay ? { crm: crmWriter(rt, connection.name) } : {}),
  };
}

export async function applyToCrm(
  rt: Runtime,
  job: { connection: string; runId: string },
  target: ToCrmTarget & { walkIn?: true | undefined },
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  if (target.walkIn) return applyWalkIn(rt, job.connection, target, signal);
  const connection = rt.connection(job.connection);
  const ctx = {
    connection,
    defaultRegion: rt.config.defaultRegion,
    runId: job.runId,
    ...(signal ? { signal } : {}),
  };
  const ports = {
    sahut: rt.sahut,
    store: rt.store,
    crm: crmWriter(rt, connection.name),
    removals: (removal: NewRemoval) => rt.store.noteRemovals(connection.name, job.runId, [removal]),
  };
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
