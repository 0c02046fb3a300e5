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

export interface ActContext {
  rt: Runtime;
  connection: Connection;
  runId: string;
}

const note = (
  action: Settled['action'],
  sahutId: string | null,
  error: string | null,
  extra: Partial<Settled> = {},
): Settled => ({
  action,
  sahutId,
  diff: null,
  error,
  ...extra,
});

/**
 * Carries out one due removal, checked again first (a record or contact that
 * answers again is left alone). Returns the audit row it ends with.
 */
export async function actOnRemoval(ctx: ActContext, removal: Removal): Promise<Settled> {
  const { rt, connection } = ctx;
  const link = (await rt.store.getLinks(connection.name, [removal.crmId])).get(removal.crmId);
  const drop = () => rt.store.dropRemovals(connection.name, [removal]);
  if (!link || (removal.side === 'sahut' && link.sahutId !== removal.sahutId)) {
    await drop();
    const now = link ? `linked to ${link.sahutId} now` : 'no longer linked';
    return note('unchanged', link?.sahutId ?? removal.sahutId, `removal dropped: ${removal.crmId} is ${now}`);
  }
  return removal.side === 'crm' ? crmDeleted(ctx, removal, link) : goneInSahut(ctx, removal, link);
}

/** `options.onCrmDelete` applied to the contact, then the link closed: the phone and email are free. */
async function crmDeleted(ctx: ActContext, removal: Removal, link: Link): Promise<Settled> {
  const { rt, connection, runId } = ctx;
  const record = await rt.connector(connection.name).get(removal.crmId);
  if (record && !record.deleted) {
    await keep(ctx, removal);
    return note('unchanged', link.sahutId, `removal dropped: CRM record ${removal.crmId} is there again`);
  }
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
  await rt.store.dropRemovals(connection.name, [removal]);
  const error = contact || heir ? null : `contact ${link.sahutId} is gone from Sahut too`;
  return note('deleted', link.sahutId, error, {
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
async function goneInSahut(ctx: ActContext, removal: Removal, link: Link): Promise<Settled> {
  const { rt, connection, runId } = ctx;
  const drop = () => rt.store.dropRemovals(connection.name, [removal]);
  if (await rt.sahut.get(removal.sahutId)) {
    await keep(ctx, removal);
    return note('unchanged', removal.sahutId, `removal dropped: contact ${removal.sahutId} answers again`);
  }
  const record = await rt.connector(connection.name).get(removal.crmId);
  const close = (reason: string) => rt.store.closeLink(connection.name, removal.crmId, { reason, runId });
  if (!record || record.deleted) {
    await close('gone from both sides');
    await drop();
    return note('unlinked', removal.sahutId, `contact and CRM record are both gone`);
  }
  const prepared = prepareRecord(record, connection, rt.config.defaultRegion);
  const sctx = { connection, defaultRegion: rt.config.defaultRegion, runId };
  const survivor = await findSurvivor(rt, link);
  if (survivor && prepared.kind === 'ready') {
    const outcome = await withSahutPorts(rt, connection.name, removal.crmId, (ports) =>
      relinkTo(ports, sctx, prepared, survivor),
    );
    await drop();
    // A conflict stays a conflict, for a person to see; anything else is the relink.
    const action = outcome.action === 'conflict' ? 'conflict' : 'relinked';
    return { ...outcome, action, detail: withFrom(removal.sahutId, outcome.detail) };
  }
  const decision = removal.decision ?? connection.options.onSahutDelete;
  if (decision === 'flag') {
    await rt.store.setRemoval(connection.name, removal.crmId, 'sahut', { state: 'flagged' });
    const why = `contact ${removal.sahutId} vanished from Sahut and no other contact holds its phone or email`;
    return note('gone-in-sahut', removal.sahutId, why, { detail: { found: removal.reason } });
  }
  // Should this stop between closing the link and the POST, the next run still creates it.
  if (decision === 'recreate' && connection.directions.includes('crm-to-sahut'))
    await rt.store.addCarried(connection.name, 'crm-to-sahut', [removal.crmId], runId);
  await close(decision === 'recreate' ? 'gone in Sahut: created again' : 'gone in Sahut: unlinked');
  await drop();
  if (decision === 'unlink' || prepared.kind === 'rejected') {
    const why = prepared.kind === 'rejected' ? `cannot recreate: ${prepared.reason}` : null;
    const softDeleted = decision === 'unlink' && (await softDeleteInCrm(ctx, removal.crmId));
    return note('unlinked', removal.sahutId, why, {
      detail: { found: removal.reason, ...(softDeleted ? { deleteInCrm: 'soft' } : {}) },
    });
  }
  const outcome = await withSahutPorts(rt, connection.name, removal.crmId, (ports) =>
    syncToSahut(ports, sctx, prepared, undefined),
  );
  const action =
    outcome.action === 'created' ? 'recreated' : outcome.action === 'linked' ? 'relinked' : outcome.action;
  return { ...outcome, action, detail: withFrom(removal.sahutId, outcome.detail) };
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
