import type { Connection } from '../../config/connections.ts';
import { type CrmRecord, StaleRecordError } from '../../crm/index.ts';
import type { Contact, Direction, FieldDiff } from '../../domain/index.ts';
import { contactToCrm, mappedFields, ownerOf } from '../../mapping/index.ts';
import type { SahutApi, SahutContact } from '../../sahut/types.ts';
import type { Link, Store } from '../../store/types.ts';
import { contactHash } from '../hash.ts';
import { identityKeys } from '../identity.ts';
import { type MergeConflict, type MergeResult, mergeContact } from '../merge.ts';
import { normaliseContact } from '../normalise.ts';
import type { Owners } from '../owners.ts';
import { applyPatch, planUpdate } from '../plan.ts';
import { projectSahut } from '../project.ts';
import { type HeldBack, holdBackIdentities } from './identity-guard.ts';
import { agreedBase, applyOwners, contactFromDiff, describeConflict } from './merge-rules.ts';
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
  /** `get`: Sahut read again before a PUT that follows a CRM write (see `reconcile`). */
  sahut: Pick<SahutApi, 'get' | 'update'>;
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
  /** `performance.now()` when `sahut` was answered by a GET: the start of the window a PUT leaves. */
  sahutReadAt?: number | undefined;
}

export interface ReconcileOutcome extends RecordOutcome {
  conflicts: MergeConflict[];
  heldBack: HeldBack[];
}

/** The CRM record kept changing under the write-back: the job tries again later, from a fresh read. */
export class WriteBackContendedError extends Error {}

// Merges of one record in one attempt: each CRM edit or agent edit that lands meanwhile costs one.
const MAX_MERGES = 5;

/**
 * Makes both sides of one link agree, three-way per field against the link's
 * base (`mergeContact`, then the owners' rules in `applyOwners`): each side
 * gets the fields it lacks, the CRM only when `ports.crm` is given (two-way
 * connections). A phone or email that another linked record holds is held
 * back from the CRM (`holdBackIdentities`).
 *
 * No write applies to a state it was not computed from. The CRM write is
 * compare-and-set against the record merged: when the CRM changed meanwhile,
 * the record is merged again from what it holds now, so the new edit meets
 * the owner rules and any conflict is written down. Sahut has no conditional
 * update, so its PUT follows the read it was computed from with nothing
 * awaited in between; after a CRM write, Sahut is read again first, and an
 * agent edit found there is merged too. The saved link describes what each
 * side really holds: the CRM as the write returned it, Sahut as read plus
 * exactly the PUT. So a second pass writes nothing.
 */
export async function reconcile(
  ports: ReconcilePorts,
  ctx: ReconcileContext,
  sides: Sides,
  /** `firstLink`: the record is being linked to a contact that existed (a `linked` outcome). */
  opts: { firstLink?: boolean } = {},
): Promise<ReconcileOutcome> {
  const { connection, defaultRegion, signal } = ctx;
  const { link } = sides;
  const owners = ownersOf(connection);
  let { crm, sahut, sahutReadAt } = sides;
  let base = link.base;
  // What earlier merges of this attempt wrote to the CRM, and why: part of this outcome.
  const written = {
    diff: {} as FieldDiff,
    conflicts: new Map<string, MergeConflict>(),
    notes: [] as string[],
  };
  const heldBack = new Map<string, HeldBack>();
  for (let merges = 1; ; merges++) {
    if (merges > MAX_MERGES)
      throw new WriteBackContendedError(
        `CRM record ${crm.crmId} and contact ${link.sahutId} kept changing during ${MAX_MERGES} merges: tried again later`,
      );
    const seen = { base, crm: crm.contact, sahut: projectSahut(sahut, crm.contact, defaultRegion) };
    const merge = mergeContact({ ...seen, owners, onConflict: connection.options.onConflict });
    const notes = [
      ...merge.conflicts.map((c) => describeConflict(c, merge.merged)),
      ...applyOwners(merge, seen, owners),
    ];
    if (!ports.crm) merge.toCrm = {};
    const writesCrm = Object.keys(merge.toCrm).length > 0;
    const held = await holdBackIdentities(ports.store, connection.name, link, merge, crm.contact);
    notes.push(...held.map((h) => h.note));

    const toCrm = contactFromDiff(merge.toCrm);
    const invalid = checkWriteBack(toCrm, defaultRegion);
    if (invalid) return result('rejected', sides, { notes: [...written.notes, ...notes, invalid] });

    const columns = ports.crm ? contactToCrm(connection.mapping, toCrm) : {};
    if (ports.crm && Object.keys(columns).length > 0) {
      try {
        crm = prepared(await ports.crm.update(crm.crmId, columns, crm.record), ctx);
      } catch (err) {
        if (!(err instanceof StaleRecordError)) throw err;
        // Someone edited the CRM record since it was read: merge again from what it holds now.
        const now = prepareRecord(err.current, connection, defaultRegion);
        if (now.kind === 'rejected')
          return result('rejected', sides, { notes: [`the CRM record changed meanwhile: ${now.reason}`] });
        crm = now;
        continue;
      }
      keepWritten(written, merge, notes);
    }
    for (const h of held) heldBack.set(h.field, h);

    const plan = planUpdate(contactFromDiff(merge.toSahut), sahut, { owners, defaultRegion });
    const sent = Object.keys(plan.patch).length > 0;
    let sahutWindowMs: number | undefined;
    if (sent) {
      // Sahut not read just now (a scan's copy) or the CRM awaited since: read it again, and merge
      // again if an agent edited it. One-way connections never merge agents' edits, so never read.
      if (writesCrm || (ports.crm && sahutReadAt === undefined)) {
        const again = await ports.sahut.get(link.sahutId, { signal });
        if (!again)
          throw new Error(`contact ${link.sahutId} vanished during the write-back; tried again later`);
        sahutReadAt = performance.now();
        if (contactHash(projectSahut(again, crm.contact, defaultRegion)) !== contactHash(seen.sahut)) {
          base = agreedBase(base, merge.merged, seen.sahut);
          sahut = again;
          continue;
        }
        sahut = again;
      }
      const readAt = sahutReadAt;
      const onSend = () => {
        if (readAt !== undefined) sahutWindowMs = performance.now() - readAt;
      };
      await ports.sahut.update(link.sahutId, plan.patch, { signal, onSend });
    }
    const sahutHeld = sent ? applyPatch(sahut, plan.patch) : sahut;

    const conflicts = [
      ...new Map([...written.conflicts, ...merge.conflicts.map((c) => [c.field, c] as const)]).values(),
    ];
    const crmDiff = { ...written.diff };
    const diff = sideDiff(ctx.direction, crmDiff, plan.diff);
    const wrote = Object.keys(diff).length > 0;
    // Tags merged set-wise lose nothing; a value kept over another, or an identity held back, is for a person to see.
    const needsLook = conflicts.some((c) => c.resolution !== 'merged') || heldBack.size > 0;
    const natural = needsLook ? 'conflict' : wrote ? 'updated' : 'unchanged';
    const action = opts.firstLink && natural !== 'conflict' ? 'linked' : natural;

    const identity = identityKeys(merge.merged);
    const saved: Link = {
      ...link,
      phone: identity.phone,
      email: identity.email,
      base: merge.merged,
      crmHash: crm.hash,
      sahutHash: contactHash(projectSahut(sahutHeld, crm.contact, defaultRegion)),
      syncedAt: new Date(),
      writtenBy: ctx.runId ? { runId: ctx.runId, action } : null,
    };
    await ports.store.upsertLink(saved);

    const allNotes = [...new Set([...written.notes, ...notes])];
    return result(action, sides, {
      diff: wrote ? diff : null,
      notes: allNotes,
      conflicts,
      heldBack: [...heldBack.values()],
      link: saved,
      ...(sahutWindowMs === undefined ? {} : { sahutWindowMs }),
    });
  }
}

/** A merge whose CRM write applied: its changes and reasons stay part of the outcome. */
function keepWritten(
  written: { diff: FieldDiff; conflicts: Map<string, MergeConflict>; notes: string[] },
  merge: MergeResult,
  notes: string[],
) {
  for (const [field, change] of Object.entries(merge.toCrm)) {
    // The value the record held before this attempt's first write, and the last one written.
    written.diff[field] = { before: written.diff[field]?.before ?? change.before, after: change.after };
  }
  for (const c of merge.conflicts) written.conflicts.set(c.field, c);
  written.notes.push(...notes);
}

/** The record as the write returned it, prepared like any read. */
function prepared(record: CrmRecord, ctx: ReconcileContext): Ready {
  const ready = prepareRecord(record, ctx.connection, ctx.defaultRegion);
  // Thrown, so the job is retried: the next attempt merges from whatever the CRM then holds.
  if (ready.kind === 'rejected')
    throw new Error(`CRM record ${record.id} reads back as invalid after the write-back: ${ready.reason}`);
  return ready;
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

function result(
  action: RecordOutcome['action'],
  sides: Sides,
  extra: {
    diff?: FieldDiff | null;
    notes: string[];
    conflicts?: MergeConflict[];
    heldBack?: HeldBack[];
    link?: Link;
    sahutWindowMs?: number;
  },
): ReconcileOutcome {
  const { diff = null, notes, conflicts = [], heldBack = [], link, sahutWindowMs } = extra;
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
    ...(sahutWindowMs === undefined ? {} : { sahutWindowMs }),
  };
}
