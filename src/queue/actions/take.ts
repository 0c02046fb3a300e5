import { UnrecoverableError } from 'bullmq';
import { type ActionRequest, conflictsOf } from '../../attention/index.ts';
import type { AttentionEntry, AuditEntry } from '../../store/types.ts';
import type { CrmWriter } from '../../sync/apply/ports.ts';
import { TakeRefusedError, takeValue } from '../../sync/apply/take-value.ts';
import type { Runtime } from '../runtime.ts';

/**
 * Keeps one side's value of a conflicting field on both sides, now. The
 * decision and the writes' outcome are audited together under the action's
 * id; the decision takes the record out of the listing, and the outcome puts
 * it back if something else still conflicts. Returns the outcome's action.
 */
export async function takeConflictValue(
  rt: Runtime,
  entry: AttentionEntry,
  request: Extract<ActionRequest, { action: 'take' }>,
  decided: AuditEntry,
  signal?: AbortSignal,
): Promise<string> {
  const crmId = entry.crmId as string;
  const connection = rt.connection(request.connection);
  const conflict = conflictsOf(entry.detail).find((c) => c.field === request.field);
  const link = (await rt.store.getLinks(connection.name, [crmId])).get(crmId);
  const connector = rt.connector(connection.name);
  const record = await connector.get(crmId);
  if (!link || !record || !conflict)
    throw new UnrecoverableError(
      `CRM record ${crmId} is no longer linked or no longer exists: acknowledge it instead`,
    );
  const update = connector.update?.bind(connector);
  const twoWay = connection.directions.includes('sahut-to-crm') && connector.capabilities.update && update;
  const crm: CrmWriter | undefined = twoWay ? { get: (id) => connector.get(id), update } : undefined;
  const ctx = { connection, defaultRegion: rt.config.defaultRegion, direction: entry.direction, signal };
  const take = { field: request.field, side: request.side, conflict };
  let outcome: Awaited<ReturnType<typeof takeValue>>;
  try {
    outcome = await takeValue({ sahut: rt.sahut, store: rt.store, crm }, ctx, { link, record }, take);
  } catch (err) {
    if (err instanceof TakeRefusedError) throw new UnrecoverableError(err.message);
    throw err;
  }
  await rt.store.appendAudit([
    decided,
    {
      ...decided,
      sahutId: outcome.sahutId,
      action: outcome.action,
      diff: outcome.diff,
      error: outcome.error,
      detail: outcome.detail ?? null,
    },
  ]);
  rt.metrics?.records.inc({
    action: outcome.action,
    direction: entry.direction,
    connection: connection.name,
  });
  return outcome.action;
}
