import type { Connection } from '../../config/connections.ts';
import type { Contact, Direction, FieldDiff } from '../../domain/index.ts';
import { contactToCrm, mappedFields, ownerOf } from '../../mapping/index.ts';
import type { SahutApi, SahutContact } from '../../sahut/types.ts';
import type { Link, Store } from '../../store/types.ts';
import { contactHash } from '../hash.ts';
import { identityKeys } from '../identity.ts';
import { type MergeConflict, mergeContact } from '../merge.ts';
import { normaliseContact } from '../normalise.ts';
import type { Owners } from '../owners.ts';
import { applyPatch, planUpdate } from '../plan.ts';
import { projectSahut } from '../project.ts';
import { type HeldBack, holdBackIdentities } from './identity-guard.ts';
import { applyOwners, contactFromDiff, describeConflict } from './merge-rules.ts';
import type { CrmWriter, RecordOutcome } from './ports.ts';
import { type Prepared, prepareRecord } from './prepare.ts';

export interface ReconcileContext {
  connection: Connection;
  defaultRegion: string;
  /** Which run asks: its target side's writes are the audit row's plain diff keys. */
  direction: Direction;
  /** The run writing, noted on the link with the outcome (see `Link.writtenBy`). */
  runId?: string | undefined;
  signal?: AbortSignal;
}

export type Ready = Extract<Prepared, { kind: 'ready' }>;

export interface ReconcilePorts {
  sahut: Pick<SahutApi, 'update'>;
  store: Pick<Store, 'upsertLink' | 'findLinks'>;
  /** Absent on one-way connections: the CRM is never written. */
  crm?: CrmWriter | undefined;
}

/** The three states a per-field merge needs: the link's base, the CRM record, the Sahut contact. */
export interface Sides {
  link: Link;
  crm: Ready;
  /** Fetched, listed or (one-way) as the link knows it. */
  sahut: SahutContact;
}

export interface ReconcileOutcome extends RecordOutcome {
  conflicts: MergeConflict[];
  heldBack: HeldBack[];
}

/**
 * Makes both sides of one link agree, three-way per field against the link's
 * base (`mergeContact`, then the owners' rules in `applyOwners`): each side
 * gets the fields it lacks, the CRM only when `ports.crm` is given (two-way
 * connections). A phone or email that another linked record holds is held
 * back from the CRM (`holdBackIdentities`). The saved link then describes
 * what each side really holds: the CRM as read back after the write, Sahut
 * as it was plus exactly the PUT. So a record that changes nowhere is
 * skipped by its next hash compare, and a second pass writes nothing.
 */
export async function reconcile(
  ports: ReconcilePorts,
  ctx: ReconcileContext,
  sides: Sides,
  /** `firstLink`: the record is being linked to a contact that existed (a `linked` outcome). */
  opts: { firstLink?: boolean } = {},
): Promise<ReconcileOutcome> {
  const { connection, defaultRegion, signal } = ctx;
  const { link, crm, sahut } = sides;
  const owners = ownersOf(connection);
  const seen = { base: link.base, crm: crm.contact, sahut: projectSahut(sahut, crm.contact, defaultRegion) };
  const merge = mergeContact({ ...seen, owners, onConflict: connection.options.onConflict });
  const notes = [
    ...merge.conflicts.map((c) => describeConflict(c, merge.merged)),
    ...applyOwners(merge, seen, owners),
  ];
  if (!ports.crm) merge.toCrm = {};
  const heldBack = await holdBackIdentities(ports.store, connection.name, link, merge, crm.contact);
  notes.push(...heldBack.map((h) => h.note));

  const toCrm = contactFromDiff(merge.toCrm);
  const invalid = checkWriteBack(toCrm, defaultRegion);
  if (invalid) return result('rejected', sides, { notes: [...notes, invalid] });

  let crmHash = crm.hash;
  if (ports.crm && Object.keys(merge.toCrm).length > 0) {
    const columns = contactToCrm(connection.mapping, toCrm);
    if (Object.keys(columns).length > 0) await ports.crm.update(crm.crmId, columns);
    crmHash = await readBackHash(ports.crm, ctx, crm.crmId);
  }
  const plan = planUpdate(contactFromDiff(merge.toSahut), sahut, { owners, defaultRegion });
  const sent = Object.keys(plan.patch).length > 0;
  if (sent) await ports.sahut.update(link.sahutId, plan.patch, { signal });
  const held = sent ? applyPatch(sahut, plan.patch) : sahut;

  const diff = sideDiff(ctx.direction, merge.toCrm, plan.diff);
  const wrote = Object.keys(diff).length > 0;
  // Tags merged set-wise lose nothing; a value kept over another, or an identity held back, is for a person to see.
  const needsLook = merge.conflicts.some((c) => c.resolution !== 'merged') || heldBack.length > 0;
  const natural = needsLook ? 'conflict' : wrote ? 'updated' : 'unchanged';
  const action = opts.firstLink && natural !== 'conflict' ? 'linked' : natural;

  const identity = identityKeys(merge.merged);
  const saved: Link = {
    ...link,
    phone: identity.phone,
    email: identity.email,
    base: merge.merged,
    crmHash,
    sahutHash: contactHash(projectSahut(held, crm.contact, defaultRegion)),
    syncedAt: new Date(),
    writtenBy: ctx.runId ? { runId: ctx.runId, action } : null,
  };
  await ports.store.upsertLink(saved);

  return result(action, sides, {
    diff: wrote ? diff : null,
    notes,
    conflicts: merge.conflicts,
    heldBack,
    link: saved,
  });
}

export function ownersOf(connection: Connection): Owners {
  const { mapping } = connection;
  return Object.fromEntries(mappedFields(mapping).map((f) => [f, ownerOf(mapping, f)]));
}

/** The link's base seen as the Sahut contact it describes (one-way connections never fetch it). */
export function knownSahut(link: Link): SahutContact {
  const b = link.base;
  return {
    id: link.sahutId,
    name: b.name ?? '',
    phone: b.phone ?? null,
    email: b.email ?? null,
    company: b.company ?? null,
    tags: b.tags ?? [],
    custom_attributes: b.custom_attributes ?? {},
    created_at: '',
  };
}

// The run's own target side is written plainly; the other side's writes carry its name.
function sideDiff(direction: Direction, toCrm: FieldDiff, toSahut: FieldDiff): FieldDiff {
  const [plain, other, tag] =
    direction === 'crm-to-sahut' ? [toSahut, toCrm, 'crm'] : [toCrm, toSahut, 'sahut'];
  const diff: FieldDiff = { ...plain };
  for (const [field, change] of Object.entries(other)) diff[`${tag}:${field}`] = change;
  return diff;
}

/** Sahut accepts values the CRM side would reject (its phone check is looser): those are not written. */
function checkWriteBack(fields: Contact, defaultRegion: string): string | null {
  const checked = normaliseContact(fields, { defaultRegion, invalidPhone: 'reject', invalidEmail: 'reject' });
  return checked.ok ? null : `Sahut holds an ${checked.reason}: not written to the CRM`;
}

async function readBackHash(crm: CrmWriter, ctx: ReconcileContext, crmId: string): Promise<string> {
  const record = await crm.get(crmId);
  const prepared = record && prepareRecord(record, ctx.connection, ctx.defaultRegion);
  // Thrown, so the job is retried: the next attempt merges from whatever the CRM then holds.
  if (!prepared) throw new Error(`CRM record ${crmId} vanished right after the write-back`);
  if (prepared.kind === 'rejected')
    throw new Error(`CRM record ${crmId} reads back as invalid after the write-back: ${prepared.reason}`);
  return prepared.hash;
}

function result(
  action: RecordOutcome['action'],
  sides: Sides,
  extra: {
    diff?: FieldDiff | null;
    notes: string[];
    conflicts?: MergeConflict[];
    heldBack?: HeldBack[];
    link?: Link;
  },
): ReconcileOutcome {
  const { diff = null, notes, conflicts = [], heldBack = [], link } = extra;
  const detail =
    conflicts.length > 0 || heldBack.length > 0
      ? { conflicts, heldBack: heldBack.map(({ note: _note, ...h }) => h) }
      : undefined;
  return {
    action,
    crmId: sides.crm.crmId,
    sahutId: sides.link.sahutId,
    diff,
    error: notes.length > 0 ? notes.join('; ') : null,
    conflicts,
    heldBack,
    ...(detail ? { detail } : {}),
    ...(link ? { link } : {}),
  };
}
