import type { Connection } from '../../config/connections.ts';
import type { CrmConnector } from '../../crm/types.ts';
import type { Contact, FieldDiff } from '../../domain/index.ts';
import { contactToCrm, mappedFields, ownerOf } from '../../mapping/index.ts';
import type { SahutApi } from '../../sahut/types.ts';
import type { Link, Store } from '../../store/types.ts';
import { contactHash } from '../hash.ts';
import { identityKeys } from '../identity.ts';
import { type MergeConflict, mergeContact } from '../merge.ts';
import { normaliseContact } from '../normalise.ts';
import type { Owners } from '../owners.ts';
import { planUpdate } from '../plan.ts';
import { projectSahut } from '../project.ts';
import { applyOwners, contactFromDiff, describeConflict } from './merge-rules.ts';
import type { RecordOutcome } from './ports.ts';
import { prepareRecord } from './prepare.ts';

/** The I/O write-back needs: Sahut, the links, and one CRM connector that can update. */
export interface ToCrmPorts {
  sahut: Pick<SahutApi, 'get' | 'update'>;
  store: Pick<Store, 'getLinks' | 'upsertLink'>;
  crm: Pick<CrmConnector, 'get'> & { update: NonNullable<CrmConnector['update']> };
}

export interface ToCrmContext {
  connection: Connection;
  defaultRegion: string;
  signal?: AbortSignal;
}

export interface ToCrmTarget {
  sahutId: string;
  crmId: string;
}

export interface ToCrmOutcome extends RecordOutcome {
  /** Fields both sides changed since the base, and how each was resolved. */
  conflicts: MergeConflict[];
}

/** One side of a link is gone: no retry can bring it back. */
export class LinkedRecordGoneError extends Error {
  readonly permanent = true;
}

/**
 * Merges one linked Sahut contact into its CRM record, three-way per field
 * against the link's base (see `mergeContact` and `applyOwners`): Sahut's
 * changes are written to the CRM, the CRM's to Sahut where the merge needs it
 * (a conflict resolved for the CRM, merged tags, a CRM change not pushed yet).
 * The new link records what each side holds after the writes, so neither our
 * CRM write nor our Sahut write comes back as a change. Idempotent: a second
 * pass finds both sides at the merged base and writes nothing.
 */
export async function syncToCrm(
  ports: ToCrmPorts,
  ctx: ToCrmContext,
  target: ToCrmTarget,
): Promise<ToCrmOutcome> {
  const { connection, defaultRegion, signal } = ctx;
  const { sahutId, crmId } = target;
  const current = await ports.sahut.get(sahutId, { signal });
  if (!current) throw new LinkedRecordGoneError(`contact ${sahutId} deleted in Sahut`);
  const link = (await ports.store.getLinks(connection.name, [crmId])).get(crmId);
  if (!link || link.sahutId !== sahutId) {
    const now = link ? `now linked to ${link.sahutId}` : 'no longer linked';
    return outcome('unchanged', target, { error: `skipped: CRM record ${crmId} is ${now}` });
  }
  const record = await ports.crm.get(crmId);
  if (!record) throw new LinkedRecordGoneError(`record ${crmId} deleted in the CRM`);
  const prepared = prepareRecord(record, connection, defaultRegion);
  if (prepared.kind === 'rejected') return outcome('rejected', target, { error: prepared.reason });

  const owners = ownersOf(connection);
  const sides = {
    base: link.base,
    crm: prepared.contact,
    sahut: projectSahut(current, link.base, defaultRegion),
  };
  const merge = mergeContact({ ...sides, owners, onConflict: connection.options.onConflict });
  const notes = [
    ...merge.conflicts.map((c) => describeConflict(c, merge.merged)),
    ...applyOwners(merge, sides, owners),
  ];
  const extra = { conflicts: merge.conflicts, notes };

  const toCrm = contactFromDiff(merge.toCrm);
  const invalid = checkWriteBack(toCrm, defaultRegion);
  if (invalid) return outcome('rejected', target, { ...extra, notes: [...notes, invalid] });

  let crmHash = prepared.hash;
  if (Object.keys(merge.toCrm).length > 0) {
    const columns = contactToCrm(connection.mapping, toCrm);
    if (Object.keys(columns).length > 0) await ports.crm.update(crmId, columns);
    // Hash what the CRM now holds (its own echo included), so the next CRM→Sahut run sees no change.
    crmHash = await readBackHash(ports, ctx, crmId);
  }
  const plan = planUpdate(contactFromDiff(merge.toSahut), current, { owners, defaultRegion });
  const written = Object.keys(plan.patch).length > 0;
  const after = written ? await ports.sahut.update(sahutId, plan.patch, { signal }) : current;

  const identity = identityKeys(merge.merged);
  const saved: Link = {
    ...link,
    phone: identity.phone,
    email: identity.email,
    base: merge.merged,
    crmHash,
    sahutHash: contactHash(projectSahut(after, merge.merged, defaultRegion)),
    syncedAt: new Date(),
  };
  await ports.store.upsertLink(saved);

  const diff: FieldDiff = { ...merge.toCrm };
  for (const [field, change] of Object.entries(plan.diff)) diff[`sahut:${field}`] = change;
  const changed = Object.keys(diff).length > 0;
  return outcome(changed ? 'updated' : 'unchanged', target, {
    ...extra,
    diff: changed ? diff : null,
    link: saved,
  });
}

function ownersOf(connection: Connection): Owners {
  const { mapping } = connection;
  return Object.fromEntries(mappedFields(mapping).map((f) => [f, ownerOf(mapping, f)]));
}

/** Sahut accepts values the CRM side would reject (its phone check is looser): those are not written. */
function checkWriteBack(fields: Contact, defaultRegion: string): string | null {
  const checked = normaliseContact(fields, { defaultRegion, invalidPhone: 'reject', invalidEmail: 'reject' });
  return checked.ok ? null : `Sahut holds an ${checked.reason}: not written to the CRM`;
}

async function readBackHash(ports: ToCrmPorts, ctx: ToCrmContext, crmId: string): Promise<string> {
  const record = await ports.crm.get(crmId);
  const prepared = record && prepareRecord(record, ctx.connection, ctx.defaultRegion);
  // Thrown, so the job is retried: the next attempt merges from whatever the CRM then holds.
  if (!prepared) throw new Error(`CRM record ${crmId} vanished right after the write-back`);
  if (prepared.kind === 'rejected')
    throw new Error(`CRM record ${crmId} reads back as invalid after the write-back: ${prepared.reason}`);
  return prepared.hash;
}

function outcome(
  action: RecordOutcome['action'],
  target: ToCrmTarget,
  extra: {
    diff?: FieldDiff | null;
    notes?: string[];
    error?: string;
    conflicts?: MergeConflict[];
    link?: Link;
  },
): ToCrmOutcome {
  const { diff = null, notes = [], conflicts = [], link } = extra;
  const error = extra.error ?? (notes.length > 0 ? notes.join('; ') : null);
  return {
    action,
    crmId: target.crmId,
    sahutId: target.sahutId,
    diff,
    error,
    conflicts,
    ...(link ? { link } : {}),
  };
}
