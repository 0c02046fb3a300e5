import { type CrmRecord, isCrmError } from '../../crm/index.ts';
import type { Contact, FieldDiff } from '../../domain/index.ts';
import { identityKeys } from '../identity.ts';
import { normaliseContact } from '../normalise.ts';
import { projectSahut } from '../project.ts';
import type { RecordOutcome } from './ports.ts';
import { prepareRecord } from './prepare.ts';
import { isProvisional, provisionalLink } from './provisional-link.ts';
import { reconcile } from './reconcile.ts';
import { searchSahut, UnsafeRetryError } from './to-sahut.ts';
import { findInCrm, type WalkIn, type WalkInContext, type WalkInPorts } from './walk-in-crm.ts';
import { type CrmMatch, creationRow, managedShape, selectsWalkIn, walkInLockKeys } from './walk-in-rules.ts';

export type { CrmCreator, WalkInContext, WalkInPorts } from './walk-in-crm.ts';

/** The CRM refused the new record for good (a required column without a value…): a person must act. */
export class CrmRefusedError extends Error {
  readonly permanent = true;
}

/**
 * Brings one walk-in (a Sahut contact no CRM record links to, selected by
 * `options.createInCrm`) into the CRM, under the identity lock: matched
 * against CRM records by normalised phone and email (exactly one → linked as
 * in a first link, several → ambiguous), else created, linked at once, and
 * reconciled, so the link describes what each side holds and neither
 * direction's next run writes anything. An insert whose outcome is unknown is
 * looked up again before anything else is inserted.
 */
export async function syncWalkIn(
  ports: WalkInPorts,
  ctx: WalkInContext,
  target: { sahutId: string; key: string },
): Promise<RecordOutcome> {
  const { connection, defaultRegion, signal } = ctx;
  const note = (action: RecordOutcome['action'], error: string) =>
    outcome(action, target.key, target.sahutId, { error });
  const contact = await ports.sahut.get(target.sahutId, { signal });
  if (!contact) return note('unchanged', `contact ${target.sahutId} was deleted in Sahut`);
  if (!selectsWalkIn(connection.options.createInCrm, contact.tags))
    return note('unchanged', 'no longer selected by options.createInCrm');
  const projected = projectSahut(contact, managedShape(connection.mapping), defaultRegion);
  const policy = { defaultRegion, invalidPhone: 'reject', invalidEmail: 'reject' } as const;
  const checked = normaliseContact(projected, policy);
  if (!checked.ok) return note('rejected', `Sahut holds an ${checked.reason}: not created in the CRM`);
  const identity = identityKeys(checked.contact);
  if (!identity.phone && !identity.email && !connection.options.createWithoutIdentity)
    return note(
      'rejected',
      'no phone or email to match on; set options.createWithoutIdentity: true to create such records',
    );
  const walkIn: WalkIn = { key: target.key, contact, fields: checked.contact, identity };
  const keys = walkInLockKeys(connection.name, identity);
  return ports.locks.withLocks(keys, () => matchAndWrite(ports, ctx, walkIn), signal);
}

async function matchAndWrite(ports: WalkInPorts, ctx: WalkInContext, walkIn: WalkIn): Promise<RecordOutcome> {
  // Another job may have linked it while we waited for the lock, or an earlier attempt created it.
  const links = await ports.store.getLinksBySahutIds(ctx.connection.name, [walkIn.contact.id]);
  const [link] = links;
  if (link && links.length === 1 && isProvisional(link))
    return firstSync(ports, ctx, walkIn, link.crmId, 'created');
  if (link) return outcome('unchanged', walkIn.key, walkIn.contact.id, { detail: { crmId: link.crmId } });

  const match = await findInCrm(ports, ctx, walkIn);
  if (match.kind === 'ambiguous') return ambiguous(walkIn, match);
  if (match.kind === 'one') return linkFound(ports, ctx, walkIn, match.crmId);
  return create(ports, ctx, walkIn);
}

/**
 * A CRM record is one person's only when one contact claims it. The walk-in holds its phone or
 * its email; should another contact hold the other (one person entered twice in Sahut, once by
 * phone, once by email), linking either would copy the record onto both and leave two identical
 * contacts. Both walk-ins then meet the same search and are ambiguous, and nothing is written.
 */
async function linkFound(ports: WalkInPorts, ctx: WalkInContext, walkIn: WalkIn, crmId: string) {
  const record = await readRecord(ports, crmId);
  const prepared = prepareRecord(record, ctx.connection, ctx.defaultRegion);
  if (prepared.kind === 'ready') {
    const claim = await searchSahut(ports.sahut, identityKeys(prepared.contact), ctx);
    const others = claim.kind === 'none' ? [] : claim.kind === 'one' ? [claim.contact] : claim.contacts;
    if (others.some((c) => c.id !== walkIn.contact.id)) {
      const contacts = others.map((c) => c.id).sort();
      return outcome('ambiguous', walkIn.key, walkIn.contact.id, {
        error: `CRM record ${crmId} is claimed by Sahut contacts ${contacts.join(' and ')} (${claim.kind === 'ambiguous' ? claim.reason : 'another contact holds its identity'}): one person with two contacts? Merge them in Sahut`,
        detail: { candidates: [crmId], contacts },
      });
    }
  }
  return firstSync(ports, ctx, walkIn, crmId, 'linked', {}, record);
}

async function readRecord(ports: WalkInPorts, crmId: string): Promise<CrmRecord> {
  const record = await ports.crm.get(crmId);
  // Thrown, so the job is retried; a new record's link keeps it from being created twice.
  if (!record) throw new Error(`CRM record ${crmId} cannot be read`);
  return record;
}

async function create(ports: WalkInPorts, ctx: WalkInContext, walkIn: WalkIn): Promise<RecordOutcome> {
  const defaults = ctx.connection.options.createInCrm?.defaults ?? {};
  const { columns, diff } = creationRow(ctx.connection.mapping, walkIn.fields, defaults);
  let crmId: string;
  try {
    crmId = await ports.crm.create(columns);
  } catch (err) {
    if (!walkIn.identity.phone && !walkIn.identity.email) {
      throw new UnsafeRetryError(
        'insert outcome unknown for a contact without phone or email: not retried, it could create a duplicate',
        { cause: err },
      );
    }
    // No blind second insert: the first may have landed (a connection lost at COMMIT), so look first.
    const again = await findInCrm(ports, ctx, walkIn);
    if (again.kind === 'ambiguous') return ambiguous(walkIn, again);
    if (again.kind === 'none' && isCrmError(err, 'WRITE_REFUSED')) {
      const fix = 'give such columns a value in options.createInCrm.defaults';
      throw new CrmRefusedError(`${err.message} (${fix})`, { cause: err });
    }
    if (again.kind === 'none') throw err;
    crmId = again.crmId;
  }
  // Linked at once: whatever fails next, no later attempt or scan creates the record again.
  await ports.store.upsertLink(provisionalLink(ctx.connection.name, crmId, walkIn.contact.id, walkIn.fields));
  return firstSync(ports, ctx, walkIn, crmId, 'created', diff);
}

/**
 * The first reconcile of a walk-in and its CRM record, as in a first link in
 * the other direction: the base is the contact as Sahut holds it, so the CRM's
 * values count as its changes (pushed to Sahut where the owners allow; for a
 * new record, its defaults and the fields it could not take), and
 * Sahut-owned fields reach the CRM. The saved link holds both sides' hashes.
 */
async function firstSync(
  ports: WalkInPorts,
  ctx: WalkInContext,
  walkIn: WalkIn,
  crmId: string,
  action: 'created' | 'linked',
  created: FieldDiff = {},
  read?: CrmRecord,
): Promise<RecordOutcome> {
  const record = read ?? (await readRecord(ports, crmId));
  const prepared = prepareRecord(record, ctx.connection, ctx.defaultRegion);
  if (prepared.kind === 'rejected') {
    const error = `CRM record ${crmId} holds this phone or email but cannot be synced: ${prepared.reason}`;
    return outcome('rejected', walkIn.key, walkIn.contact.id, { error, detail: { crmId } });
  }
  const base: Contact = projectSahut(walkIn.contact, prepared.contact, ctx.defaultRegion);
  const done = await reconcile(
    ports,
    { ...ctx, direction: 'sahut-to-crm' },
    {
      link: provisionalLink(ctx.connection.name, crmId, walkIn.contact.id, base),
      crm: prepared,
      sahut: walkIn.contact,
    },
  );
  const diff = { ...created, ...(done.diff ?? {}) };
  return {
    ...done,
    action: done.action === 'rejected' ? 'rejected' : action,
    crmId: walkIn.key,
    diff: Object.keys(diff).length > 0 ? diff : null,
    detail: { ...(done.detail ?? {}), crmId },
  };
}

const ambiguous = (walkIn: WalkIn, match: Extract<CrmMatch, { kind: 'ambiguous' }>) =>
  outcome('ambiguous', walkIn.key, walkIn.contact.id, {
    error: match.reason,
    detail: { candidates: match.candidateIds },
  });

/** Booked under the walk-in's key; the CRM record's id, once there is one, is in `detail.crmId`. */
function outcome(
  action: RecordOutcome['action'],
  key: string,
  sahutId: string,
  extra: { error?: string; detail?: unknown } = {},
): RecordOutcome {
  const { error = null, detail } = extra;
  return { action, crmId: key, sahutId, diff: null, error, ...(detail === undefined ? {} : { detail }) };
}
