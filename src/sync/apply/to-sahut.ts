import type { Connection } from '../../config/connections.ts';
import type { Contact, FieldDiff } from '../../domain/index.ts';
import { mappedFields, ownerOf } from '../../mapping/index.ts';
import { SahutOutcomeUnknownError, SahutRequestError } from '../../sahut/errors.ts';
import type { SahutContact } from '../../sahut/types.ts';
import type { Link } from '../../store/types.ts';
import { identityKeys, lockKeys } from '../identity.ts';
import { matchContact } from '../match.ts';
import { planCreate, planUpdate } from '../plan.ts';
import type { ApplyPorts, RecordOutcome } from './ports.ts';
import type { Prepared } from './prepare.ts';

export interface ToSahutContext {
  connection: Connection;
  defaultRegion: string;
  signal?: AbortSignal;
}
type Ready = Extract<Prepared, { kind: 'ready' }>;

/** Thrown when a write's outcome stays unknown and retrying could duplicate the contact. */
export class UnsafeRetryError extends Error {
  readonly permanent = true;
}

// A POST with an unknown outcome is followed by a re-search; this bounds how often that may repeat.
const MAX_UNKNOWN_POSTS = 3;

/**
 * Makes Sahut agree with one prepared CRM record: a hash compare for linked
 * records, one PUT of the changed fields, or (under the identity lock) an
 * exact-match search followed by a link or a single POST.
 */
export async function syncToSahut(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  link: Link | undefined,
): Promise<RecordOutcome> {
  if (link && link.crmHash === record.hash) return outcome('unchanged', record, link.sahutId);
  if (link) {
    const updated = await updateLinked(ports, ctx, record, link);
    if (updated) return updated;
  }
  const keys = lockKeys(ctx.connection.name, record.contact);
  return ports.locks.withLocks(keys, () => matchAndWrite(ports, ctx, record), ctx.signal);
}

async function updateLinked(ports: ApplyPorts, ctx: ToSahutContext, record: Ready, link: Link) {
  const { patch, diff } = planUpdate(record.contact, asSahutContact(link), planOptions(ctx));
  if (Object.keys(patch).length === 0) {
    const saved = await saveLink(ports, ctx, record, link.sahutId);
    return outcome('unchanged', record, saved.sahutId, { link: saved });
  }
  try {
    await ports.sahut.update(link.sahutId, patch, { signal: ctx.signal });
  } catch (err) {
    // Deleted in Sahut since the last sync: forget the link and match afresh.
    if (err instanceof SahutRequestError && err.status === 404) return null;
    throw err;
  }
  const saved = await saveLink(ports, ctx, record, link.sahutId);
  return outcome('updated', record, link.sahutId, { diff, link: saved });
}

async function matchAndWrite(ports: ApplyPorts, ctx: ToSahutContext, record: Ready): Promise<RecordOutcome> {
  // Another worker may have linked this record while we waited for the lock.
  const link = (await ports.store.getLinks(ctx.connection.name, [record.crmId])).get(record.crmId);
  if (link && link.crmHash === record.hash) return outcome('unchanged', record, link.sahutId);

  const identity = identityKeys(record.contact);
  if (!identity.phone && !identity.email && !ctx.connection.options.createWithoutIdentity) {
    return outcome('rejected', record, null, {
      error: 'no phone or email to match on; set options.createWithoutIdentity: true to create such records',
    });
  }
  const match = await search(ports, ctx, identity);
  if (match.kind === 'ambiguous') return outcome('ambiguous', record, null, { error: match.reason });
  if (match.kind === 'one') return linkExisting(ports, ctx, record, match.contact);
  return create(ports, ctx, record, identity);
}

async function linkExisting(ports: ApplyPorts, ctx: ToSahutContext, record: Ready, existing: SahutContact) {
  const { patch, diff } = planUpdate(record.contact, existing, planOptions(ctx));
  const changed = Object.keys(patch).length > 0;
  if (changed) await ports.sahut.update(existing.id, patch, { signal: ctx.signal });
  const saved = await saveLink(ports, ctx, record, existing.id);
  return outcome('linked', record, existing.id, { diff: changed ? diff : null, link: saved });
}

async function create(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  identity: ReturnType<typeof identityKeys>,
): Promise<RecordOutcome> {
  const plan = planCreate(record.contact);
  if (plan.kind === 'reject') return outcome('rejected', record, null, { error: plan.reason });
  for (let posts = 1; ; posts++) {
    try {
      const created = await ports.sahut.create(plan.body, { signal: ctx.signal });
      const saved = await saveLink(ports, ctx, record, created.id);
      return outcome('created', record, created.id, { diff: creationDiff(plan.body), link: saved });
    } catch (err) {
      if (!(err instanceof SahutOutcomeUnknownError)) throw err;
      if (!identity.phone && !identity.email) {
        throw new UnsafeRetryError(
          'POST outcome unknown for a record without phone or email: not retried, it could create a duplicate',
          { cause: err },
        );
      }
      // No blind second POST: the first one may have landed, so look again first.
      const again = await search(ports, ctx, identity);
      if (again.kind === 'one') {
        const saved = await saveLink(ports, ctx, record, again.contact.id);
        return outcome('created', record, again.contact.id, { diff: creationDiff(plan.body), link: saved });
      }
      if (again.kind === 'ambiguous') return outcome('ambiguous', record, null, { error: again.reason });
      if (posts >= MAX_UNKNOWN_POSTS) throw err;
    }
  }
}

async function search(ports: ApplyPorts, ctx: ToSahutContext, identity: ReturnType<typeof identityKeys>) {
  const candidates = new Map<string, SahutContact>();
  for (const q of [identity.phone, identity.email]) {
    if (!q) continue;
    for await (const contact of ports.sahut.iterate({ q }, { signal: ctx.signal }))
      candidates.set(contact.id, contact);
  }
  return matchContact(identity, [...candidates.values()], { defaultRegion: ctx.defaultRegion });
}

async function saveLink(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  sahutId: string,
): Promise<Link> {
  const identity = identityKeys(record.contact);
  // Both sides now agree on the CRM's mapped values: that is the base of the next three-way merge.
  const link: Link = {
    connection: ctx.connection.name,
    crmId: record.crmId,
    sahutId,
    phone: identity.phone,
    email: identity.email,
    base: record.contact,
    crmHash: record.hash,
    sahutHash: record.hash,
    syncedAt: new Date(),
  };
  await ports.store.upsertLink(link);
  return link;
}

function planOptions(ctx: ToSahutContext) {
  const owners = Object.fromEntries(
    mappedFields(ctx.connection.mapping).map((f) => [f, ownerOf(ctx.connection.mapping, f)]),
  );
  return { owners, defaultRegion: ctx.defaultRegion };
}

/** The link's base seen as the Sahut contact it was last synced to. */
function asSahutContact(link: Link): SahutContact {
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

function creationDiff(body: Contact): FieldDiff {
  const diff: FieldDiff = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'custom_attributes' && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) diff[`custom_attributes.${k}`] = { before: null, after: v };
    } else diff[key] = { before: null, after: value };
  }
  return diff;
}

function outcome(
  action: RecordOutcome['action'],
  record: Ready,
  sahutId: string | null,
  extra: { diff?: FieldDiff | null; error?: string; link?: Link } = {},
): RecordOutcome {
  const { diff = null, error = null, link } = extra;
  return { action, crmId: record.crmId, sahutId, diff, error, ...(link ? { link } : {}) };
}
