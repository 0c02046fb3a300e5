import type { Connection } from '../../config/index.ts';
import type { SahutContact } from '../../sahut/types.ts';
import type { AuditEntry, Link, Removal } from '../../store/types.ts';
import { prepareRecord } from '../../sync/apply/prepare.ts';
import { relinkTo, searchSahut, syncToSahut } from '../../sync/apply/to-sahut.ts';
import { crmDeletePatch } from '../../sync/removal.ts';
import { withSahutPorts } from '../records/apply-record.ts';
import type { Runtime } from '../runtime.ts';

/** The audit row a removal ends with (its run, job and attempt are the caller's). */
export type Settled = Pick<AuditEntry, 'action' | 'sahutId' | 'diff' | 'error' | 'detail'>;

/**
 * What becomes of the removal once its audit row is written (`finishRemoval`): it goes, it
 * goes and its record is read again by the next CRM→Sahut run, or it waits for a person.
 */
export type Then = 'drop' | 'keep' | 'flag';

export type Acted = Settled & { after: Then };

export interface ActContext {
  rt: Runtime;
  connection: Connection;
  runId: string;
}

const note = (
  action: Settled['action'],
  sahutId: string | null,
  error: string | null,
  after: Then,
  extra: Partial<Settled> = {},
): Acted => ({
  action,
  sahutId,
  diff: null,
  error,
  after,
  ...extra,
});

/**
 * Carries out one due removal, checked again first (a record or contact that
 * answers again is left alone). Returns the audit row it ends with and what
 * becomes of the removal once that row is written: the removal leaves only
 * after its outcome is on record, so a stop between the two is seen by the
 * next attempt (`finishRemoval`), never lost.
 */
export async function actOnRemoval(ctx: ActContext, removal: Removal): Promise<Acted> {
  const { rt, connection } = ctx;
  const link = (await rt.store.getLinks(connection.name, [removal.crmId])).get(removal.crmId);
  if (!link || (removal.side === 'sahut' && link.sahutId !== removal.sahutId)) {
    const now = link ? `linked to ${link.sahutId} now` : 'no longer linked';
    return note(
      'unchanged',
      link?.sahutId ?? removal.sahutId,
      `removal dropped: ${removal.crmId} is ${now}`,
      'drop',
    );
  }
  return removal.side === 'crm' ? crmDeleted(ctx, removal, link) : goneInSahut(ctx, removal, link);
}

/** `options.onCrmDelete` applied to the contact, then the link closed: the phone and email are free. */
async function crmDeleted(ctx: ActContext, removal: Removal, link: Link): Promise<Acted> {
  const { rt, connection, runId } = ctx;
  const record = await rt.connector(connection.name).get(removal.crmId);
  if (record && !record.deleted)
    return note(
      'unchanged',
      link.sahutId,
      `removal dropped: CRM record ${removal.crmId} is there again`,
      'keep',
    );
  const { onCrmDelete, crmDeletedTag } = connection.options;
  // The person lives on in another record linked to the same contact (a CRM merge): the contact is theirs.
  const heir = (await rt.store.findLinks({ connection: connection.name, sahutId: link.sahutId })).find(
    (l) => l.crmId !== removal.crmId,
  );
  const contact = heir ? null : await rt.sahut.get(link.sahutId);
  const change = contact && crmDeletePatch(onCrmDelete, contact, connection.mapping, crmDeletedTag);
  if (contact && change) await rt.sahut.update(contact.id, change.patch);
  await rt.store.closeLink(connection.name, removal.crmId, {
    reason: `deleted in the CRM (${removal.reason})`,
    runId,
  });
  const error = contact || heir ? null : `contact ${link.sahutId} is gone from Sahut too`;
  return note('deleted', link.sahutId, error, 'drop', {
    diff: change?.diff ?? null,
    detail: {
      found: removal.reason,
      onCrmDelete: heir ? 'keep' : onCrmDelete,
      ...(heir ? { contactKeptBy: heir.crmId } : {}),
    },
  });
}

/**
 * A contact gone from Sahut: relinked when exactly one other contact holds its phone
 * or email (an agent merged the two), else `options.onSahutDelete` (or what a person decided).
 */
async function goneInSahut(ctx: ActContext, removal: Removal, link: Link): Promise<Acted> {
  const { rt, connection, runId } = ctx;
  if (await rt.sahut.get(removal.sahutId))
    return note(
      'unchanged',
      removal.sahutId,
      `removal dropped: contact ${removal.sahutId} answers again`,
      'keep',
    );
  const record = await rt.connector(connection.name).get(removal.crmId);
  const close = (reason: string) => rt.store.closeLink(connection.name, removal.crmId, { reason, runId });
  if (!record || record.deleted) {
    await close('gone from both sides');
    return note('unlinked', removal.sahutId, `contact and CRM record are both gone`, 'drop');
  }
  const prepared = prepareRecord(record, connection, rt.config.defaultRegion);
  const sctx = { connection, defaultRegion: rt.config.defaultRegion, runId };
  const survivor = await findSurvivor(rt, link);
  if (survivor && prepared.kind === 'ready') {
    const outcome = await withSahutPorts(rt, connection.name, removal.crmId, (ports) =>
      relinkTo(ports, sctx, prepared, survivor),
    );
    // A conflict stays a conflict, for a person to see; anything else is the relink.
    const action = outcome.action === 'conflict' ? 'conflict' : 'relinked';
    return { ...outcome, action, detail: withFrom(removal.sahutId, outcome.detail), after: 'drop' };
  }
  const decision = removal.decision ?? connection.options.onSahutDelete;
  if (decision === 'flag') {
    const why = `contact ${removal.sahutId} vanished from Sahut and no other contact holds its phone or email`;
    return note('gone-in-sahut', removal.sahutId, why, 'flag', { detail: { found: removal.reason } });
  }
  // Should this stop between closing the link and the POST, the next run still creates it.
  if (decision === 'recreate' && connection.directions.includes('crm-to-sahut'))
    await rt.store.addCarried(connection.name, 'crm-to-sahut', [removal.crmId], runId);
  await close(decision === 'recreate' ? 'gone in Sahut: created again' : 'gone in Sahut: unlinked');
  if (decision === 'unlink' || prepared.kind === 'rejected') {
    const why = prepared.kind === 'rejected' ? `cannot recreate: ${prepared.reason}` : null;
    const softDeleted = decision === 'unlink' && (await softDeleteInCrm(ctx, removal.crmId));
    return note('unlinked', removal.sahutId, why, 'drop', {
      detail: { found: removal.reason, ...(softDeleted ? { deleteInCrm: 'soft' } : {}) },
    });
  }
  const outcome = await withSahutPorts(rt, connection.name, removal.crmId, (ports) =>
    syncToSahut(ports, sctx, prepared, undefined),
  );
  const action =
    outcome.action === 'created' ? 'recreated' : outcome.action === 'linked' ? 'relinked' : outcome.action;
  return { ...outcome, action, detail: withFrom(removal.sahutId, outcome.detail), after: 'drop' };
}

/**
 * Both sides are there after all (a 404 in passing, a row back): the removal goes, and the
 * record is read again by the next CRM→Sahut run, since the change that met the 404 was
 * settled without being written and the cursor has moved past it.
 */
async function keep(ctx: ActContext, removal: Removal) {
  const { rt, connection, runId } = ctx;
  await rt.store.dropRemovals(connection.name, [removal]);
  if (connection.directions.includes('crm-to-sahut'))
    await rt.store.addCarried(connection.name, 'crm-to-sahut', [removal.crmId], runId);
}

/** Ends a removal whose outcome is on record, as `then` says. */
export async function finishRemoval(ctx: ActContext, removal: Removal, then: Then): Promise<void> {
  const { rt, connection } = ctx;
  if (then === 'keep') return keep(ctx, removal);
  if (then === 'flag')
    return rt.store.setRemoval(connection.name, removal.crmId, removal.side, { state: 'flagged' });
  await rt.store.dropRemovals(connection.name, [removal]);
}

/**
 * What the outcome a stopped attempt wrote implies, for the attempt that finds it on record
 * (null: it failed, and stays due for the next run).
 */
export const thenOf = (action: AuditEntry['action']): Then | null =>
  action === 'failed' ? null : action === 'gone-in-sahut' ? 'flag' : action === 'unchanged' ? 'keep' : 'drop';

/** `options.deleteInCrm: soft`: the record unlinked from its vanished contact is soft-deleted in the CRM too. */
async function softDeleteInCrm(ctx: ActContext, crmId: string): Promise<boolean> {
  if (ctx.connection.options.deleteInCrm !== 'soft') return false;
  const softDelete = ctx.rt.connector(ctx.connection.name).softDelete;
  return softDelete ? softDelete(crmId) : false;
}

/** The outcome's detail, naming the vanished contact the record was linked to. */
function withFrom(from: string, detail: unknown): Record<string, unknown> {
  const isObject = typeof detail === 'object' && detail !== null && !Array.isArray(detail);
  return { from, ...(isObject ? (detail as Record<string, unknown>) : {}) };
}

/** The one contact now holding the link's phone or email (an agent's merge kept it), if exactly one does. */
async function findSurvivor(rt: Runtime, link: Link): Promise<SahutContact | null> {
  if (!link.phone && !link.email) return null;
  const found = await searchSahut(
    rt.sahut,
    { phone: link.phone, email: link.email },
    { defaultRegion: rt.config.defaultRegion },
  );
  return found.kind === 'one' && found.contact.id !== link.sahutId ? found.contact : null;
}
