import type { Connection } from '../../config/index.ts';
import type { CrmRecord } from '../../crm/types.ts';
import type { Decision, Link, NewRemoval } from '../../store/types.ts';
import type { ApplyPorts, CrmWriter, RecordOutcome } from '../../sync/apply/ports.ts';
import { type Prepared, prepareRecord } from '../../sync/apply/prepare.ts';
import { syncToCrm, type ToCrmTarget } from '../../sync/apply/to-crm.ts';
import { syncToSahut } from '../../sync/apply/to-sahut.ts';
import { lockKeys } from '../../sync/identity.ts';
import type { Runtime } from '../runtime.ts';
import { applyWalkIn } from '../scan/walk-ins.ts';
import { createRecordBatch } from './record-batch.ts';

export const cannotWriteBack = (connection: string) =>
  `connection ${connection} cannot sync sahut-to-crm: its CRM connector cannot write back (capabilities.update is false)`;

/** Configuration, not data: no retry helps until the connection changes. */
class WriteBackUnsupportedError extends Error {
  readonly permanent = true;
}

/** One record's outcome, or the error its attempt failed with. */
export type Settled<T> = { item: T; outcome: RecordOutcome } | { item: T; error: unknown };

/**
 * Applies one crm-to-sahut record job. The links of its records and the
 * decisions people made about them are read once for the whole job (one query
 * each); each record then goes through `syncToSahut`, side by side, with the
 * store and Redis work they share done per batch (record-batch.ts): records of
 * one person go in separate batches, one after the other. Should the first read
 * fail, every record's attempt fails with it.
 */
export async function applyToSahut(
  rt: Runtime,
  job: { connection: string; runId: string; match?: 'search' | 'index' },
  records: readonly CrmRecord[],
  signal?: AbortSignal,
): Promise<Settled<CrmRecord>[]> {
  const connection = rt.connection(job.connection);
  let links: Map<string, Link>;
  let decisions: Map<string, Decision>;
  try {
    const crmIds = records.map((r) => r.id);
    [links, decisions] = await Promise.all([
      rt.store.getLinks(connection.name, crmIds),
      rt.store.getDecisions(connection.name, crmIds),
    ]);
  } catch (error) {
    return records.map((item) => ({ item, error }));
  }
  const ctx = {
    connection,
    defaultRegion: rt.config.defaultRegion,
    match: job.match ?? 'search',
    runId: job.runId,
    ...(signal ? { signal } : {}),
  };
  // Two-way: a CRM change is merged with the contact as Sahut holds it now (and the CRM gets
  // Sahut's side back), whichever direction's run comes first.
  const twoWay =
    connection.directions.includes('sahut-to-crm') && rt.connector(connection.name).capabilities.update;
  const crm = twoWay ? { crm: crmWriter(rt, connection.name) } : {};
  const removals = (removal: NewRemoval) => rt.store.noteRemovals(connection.name, job.runId, [removal]);
  const prepared = records.map((record) => ({
    record,
    prepared: prepare(record, connection, rt.config.defaultRegion),
  }));
  const settled = new Map<CrmRecord, Settled<CrmRecord>>();
  for (const round of apart(prepared, connection.name)) {
    const batch = createRecordBatch(rt, connection.name, decisions);
    const done = await Promise.all(
      round.map(async ({ record, prepared: p }): Promise<Settled<CrmRecord>> => {
        try {
          if (p.kind === 'failed') throw p.error;
          if (p.kind === 'rejected') return { item: record, outcome: rejected(record.id, p.reason) };
          const ports: ApplyPorts = { sahut: rt.sahut, ...batch.portsFor(p.crmId), ...crm, removals };
          return { item: record, outcome: await syncToSahut(ports, ctx, p, links.get(p.crmId)) };
        } catch (error) {
          return { item: record, error };
        } finally {
          await batch.finish(record.id);
        }
      }),
    );
    const unsaved = await batch.flush();
    for (const s of done) {
      const error = unsaved.get(s.item.id);
      settled.set(s.item, error === undefined ? s : { item: s.item, error });
    }
  }
  return records.map((r) => settled.get(r) as Settled<CrmRecord>);
}

/** Batches in which no two records share a phone or email (first fit, in the job's order). */
function apart<T extends { prepared: Step }>(items: readonly T[], scope: string): T[][] {
  const rounds: { items: T[]; keys: Set<string> }[] = [];
  for (const item of items) {
    const keys = item.prepared.kind === 'ready' ? lockKeys(scope, item.prepared.contact) : [];
    let round = rounds.find((r) => !keys.some((k) => r.keys.has(k)));
    if (!round) {
      round = { items: [], keys: new Set() };
      rounds.push(round);
    }
    round.items.push(item);
    for (const k of keys) round.keys.add(k);
  }
  return rounds.map((r) => r.items);
}

type Step = Prepared | { kind: 'failed'; error: unknown };

/** A record that cannot even be mapped fails its attempt like any other error, not the job. */
function prepare(record: CrmRecord, connection: Connection, region: string): Step {
  try {
    return prepareRecord(record, connection, region);
  } catch (error) {
    return { kind: 'failed', error };
  }
}

const rejected = (crmId: string, error: string): RecordOutcome => ({
  action: 'rejected',
  crmId,
  sahutId: null,
  diff: null,
  error,
});

/**
 * Applies one record to Sahut outside a record job (a removal's relink or
 * recreate): the same ports as a job's, from a batch of this one record whose
 * writes are saved and whose locks and claims are let go before it returns.
 */
export async function withSahutPorts<T>(
  rt: Runtime,
  name: string,
  crmId: string,
  fn: (ports: ApplyPorts) => Promise<T>,
): Promise<T> {
  const connection = rt.connection(name);
  const twoWay = connection.directions.includes('sahut-to-crm') && rt.connector(name).capabilities.update;
  const batch = createRecordBatch(rt, name, await rt.store.getDecisions(name, [crmId]));
  const ports: ApplyPorts = {
    sahut: rt.sahut,
    ...batch.portsFor(crmId),
    ...(twoWay ? { crm: crmWriter(rt, name) } : {}),
  };
  const settled = await fn(ports).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await batch.finish(crmId);
  const unsaved = (await batch.flush()).get(crmId);
  if ('error' in settled) throw settled.error;
  if (unsaved !== undefined) throw unsaved;
  return settled.value;
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

function crmWriter(rt: Runtime, name: string): CrmWriter {
  const connector = rt.connector(name);
  const update = connector.update?.bind(connector);
  if (!connector.capabilities.update || !update) throw new WriteBackUnsupportedError(cannotWriteBack(name));
  return { get: (id) => connector.get(id), update };
}
