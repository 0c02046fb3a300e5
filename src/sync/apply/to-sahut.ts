import type { Connection } from '../../config/connections.ts';
import type { Contact, FieldDiff } from '../../domain/index.ts';
import { SahutOutcomeUnknownError, SahutRequestError } from '../../sahut/errors.ts';
import type { ContactInput, SahutApi, SahutContact } from '../../sahut/types.ts';
import type { Link } from '../../store/types.ts';
import { contactHash } from '../hash.ts';
import { type Identity, identityKeys, lockKeys } from '../identity.ts';
import { matchContact } from '../match.ts';
import { planCreate } from '../plan.ts';
import { projectSahut } from '../project.ts';
import { ambiguousDetail, decidedMatch } from './decisions.ts';
import { type ApplyPorts, goneOutcome, type RecordOutcome } from './ports.ts';
import { provisionalLink } from './provisional-link.ts';
import { knownSahut, type Ready, reconcile } from './reconcile.ts';
import { WRITTEN_EARLIER, writtenEarlier } from './written-earlier.ts';

export interface ToSahutContext {
  connection: Connection;
  defaultRegion: string;
  signal?: AbortSignal;
  /** `index`: unlinked records are matched against the scan index (`ports.index`), not searched. */
  match?: 'search' | 'index';
  /** The run writing: noted on every link it saves (see `Link.writtenBy`). */
  runId?: string | undefined;
}

/** Thrown when a write's outcome stays unknown and retrying could duplicate the contact. */
export class UnsafeRetryError extends Error {
  readonly permanent = true;
}

// A POST with an unknown outcome is followed by a re-search; this bounds how often that may repeat.
const MAX_UNKNOWN_POSTS = 3;

/**
 * Makes Sahut agree with one prepared CRM record. A linked record whose hash is
 * unchanged costs nothing; a changed one is reconciled with its contact: on a
 * two-way connection (`ports.crm` given) after one GET, so an agent's edit is
 * merged, not overwritten; one-way, against what the link knows Sahut holds.
 * An unlinked record is matched under the identity lock (exact-match search)
 * and then linked, or created with a single POST.
 */
export async function syncToSahut(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  link: Link | undefined,
): Promise<RecordOutcome> {
  if (link && link.crmHash === record.hash) return settled(link, ctx, record);
  if (link) {
    const updated = await updateLinked(ports, ctx, record, link);
    if (updated) return updated;
  }
  const keys = lockKeys(ctx.connection.name, record.contact);
  return ports.locks.withLocks(keys, () => matchAndWrite(ports, ctx, record), ctx.signal);
}

/**
 * When the contact is gone from Sahut: noted for the run's removal step (which relinks,
 * flags, recreates or unlinks it), or, without that port, null: the record is matched afresh.
 */
async function updateLinked(ports: ApplyPorts, ctx: ToSahutContext, record: Ready, link: Link) {
  const rctx = { ...ctx, direction: 'crm-to-sahut' as const };
  const gone = async () => {
    if (!ports.removals) return null;
    const removal = {
      crmId: record.crmId,
      side: 'sahut',
      sahutId: link.sahutId,
      reason: 'not-found',
    } as const;
    await ports.removals(removal);
    return goneOutcome(record.crmId, removal);
  };
  try {
    const sahut = ports.crm ? await ports.sahut.get(link.sahutId, { signal: ctx.signal }) : knownSahut(link);
    if (!sahut) return await gone();
    const sahutReadAt = ports.crm ? performance.now() : undefined;
    return await reconcile(ports, rctx, { link, crm: record, sahut, sahutReadAt });
  } catch (err) {
    if (err instanceof SahutRequestError && err.status === 404) return await gone();
    throw err;
  }
}

/** Links the record to `existing` (the contact that took over its vanished one), merged by the owner rules. */
export function relinkTo(ports: ApplyPorts, ctx: ToSahutContext, record: Ready, existing: SahutContact) {
  return linkExisting(ports, ctx, record, existing);
}

async function matchAndWrite(ports: ApplyPorts, ctx: ToSahutContext, record: Ready): Promise<RecordOutcome> {
  // Another worker may have linked this record while we waited for the lock.
  const link = (await ports.store.getLinks(ctx.connection.name, [record.crmId])).get(record.crmId);
  if (link && link.crmHash === record.hash) return settled(link, ctx, record);

  const identity = identityKeys(record.contact);
  if (!identity.phone && !identity.email && !ctx.connection.options.createWithoutIdentity) {
    return outcome('rejected', record, null, {
      error: 'no phone or email to match on; set options.createWithoutIdentity: true to create such records',
    });
  }
  const decided = { connection: ctx.connection.name, crmId: record.crmId, signal: ctx.signal };
  const match = await decidedMatch(ports, decided, () => lookup(ports, ctx, identity));
  if (match.kind === 'ambiguous')
    return outcome('ambiguous', record, null, {
      error: match.reason,
      detail: ambiguousDetail(record.contact, match, ctx.defaultRegion),
    });
  if (match.kind === 'one') return linkExisting(ports, ctx, record, match.contact);
  return create(ports, ctx, record, identity);
}

/**
 * A first link is a reconcile whose base is the contact as Sahut holds it: the
 * CRM's values then count as its changes (pushed to Sahut, where its owners
 * allow), and Sahut-owned fields reach a two-way CRM.
 */
async function linkExisting(ports: ApplyPorts, ctx: ToSahutContext, record: Ready, existing: SahutContact) {
  const base = projectSahut(existing, record.contact, ctx.defaultRegion);
  const provisional = provisionalLink(ctx.connection.name, record.crmId, existing.id, base);
  const rctx = { ...ctx, direction: 'crm-to-sahut' as const };
  return reconcile(ports, rctx, { link: provisional, crm: record, sahut: existing }, { firstLink: true });
}

async function create(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  identity: Identity,
): Promise<RecordOutcome> {
  const plan = planCreate(record.contact);
  if (plan.kind === 'reject') return outcome('rejected', record, null, { error: plan.reason });
  if (!ports.claims) return post(ports, ctx, record, identity, plan.body);
  const claim = { crmId: record.crmId, ...identity, keys: lockKeys(ctx.connection.name, record.contact) };
  return ports.claims.withClaim(
    claim,
    async ({ links, stale }) => {
      // Someone linked the record, or its person, since the lookup (a run going on after Redis was lost).
      const own = links.find((l) => l.crmId === record.crmId);
      if (own)
        return (await updateLinked(ports, ctx, record, own)) ?? post(ports, ctx, record, identity, plan.body);
      const holder = links.find(
        (l) => (l.phone && l.phone === identity.phone) || (l.email && l.email === identity.email),
      );
      const contact = holder && (await ports.sahut.get(holder.sahutId, { signal: ctx.signal }));
      if (contact) return linkExisting(ports, ctx, record, contact);
      // The claim's last holder died holding it: its POST may have landed. Look before creating.
      if (stale && (identity.phone || identity.email)) {
        const found = await search(ports, ctx, identity);
        if (found.kind === 'one') return linkExisting(ports, ctx, record, found.contact);
        if (found.kind === 'ambiguous')
          return outcome('ambiguous', record, null, {
            error: found.reason,
            detail: ambiguousDetail(record.contact, found, ctx.defaultRegion),
          });
      }
      return post(ports, ctx, record, identity, plan.body);
    },
    ctx.signal,
  );
}

/** One POST, and on an unknown outcome a search before any second one. */
async function post(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  identity: Identity,
  body: ContactInput,
): Promise<RecordOutcome> {
  for (let posts = 1; ; posts++) {
    try {
      const created = await ports.sahut.create(body, { signal: ctx.signal });
      const saved = await saveCreated(ports, ctx, record, created);
      // The index knows our own creates at once: a second CRM record of the same person links to it.
      await ports.index?.add(created);
      return outcome('created', record, created.id, { diff: creationDiff(body), link: saved });
    } catch (err) {
      if (!(err instanceof SahutOutcomeUnknownError)) throw err;
      if (!identity.phone && !identity.email) {
        throw new UnsafeRetryError(
          'POST outcome unknown for a record without phone or email: not retried, it could create a duplicate',
          { cause: err },
        );
      }
      // No blind second POST: the first one may have landed, so look again first.
      const target = { connection: ctx.connection.name, crmId: record.crmId, signal: ctx.signal };
      const again = await decidedMatch(ports, target, () => search(ports, ctx, identity));
      if (again.kind === 'one') {
        const saved = await saveCreated(ports, ctx, record, again.contact);
        return outcome('created', record, again.contact.id, { diff: creationDiff(body), link: saved });
      }
      if (again.kind === 'ambiguous')
        return outcome('ambiguous', record, null, {
          error: again.reason,
          detail: ambiguousDetail(record.contact, again, ctx.defaultRegion),
        });
      if (posts >= MAX_UNKNOWN_POSTS) throw err;
    }
  }
}

/** The first look for an unlinked record: the scan index when the run matches with it, else a search. */
async function lookup(ports: ApplyPorts, ctx: ToSahutContext, identity: Identity) {
  if (ctx.match !== 'index' || !ports.index) return search(ports, ctx, identity);
  const candidates = await ports.index.find(identity);
  return matchContact(identity, candidates, { defaultRegion: ctx.defaultRegion });
}

/** A search by phone and email, live: also what checks a POST whose answer was lost. */
const search = (ports: ApplyPorts, ctx: ToSahutContext, identity: Identity) =>
  searchSahut(ports.sahut, identity, ctx);

/** The contacts holding this phone or email now (`q` is fuzzy: filtered exactly), as a match. */
export async function searchSahut(
  sahut: Pick<SahutApi, 'iterate'>,
  identity: Identity,
  ctx: { defaultRegion: string; signal?: AbortSignal | undefined },
) {
  const candidates = new Map<string, SahutContact>();
  for (const q of [identity.phone, identity.email]) {
    if (!q) continue;
    for await (const contact of sahut.iterate({ q }, { signal: ctx.signal }))
      candidates.set(contact.id, contact);
  }
  return matchContact(identity, [...candidates.values()], { defaultRegion: ctx.defaultRegion });
}

/** Both sides hold the CRM's values now; Sahut's hash is taken from the contact it answered with. */
async function saveCreated(
  ports: ApplyPorts,
  ctx: ToSahutContext,
  record: Ready,
  created: SahutContact,
): Promise<Link> {
  const identity = identityKeys(record.contact);
  const link: Link = {
    connection: ctx.connection.name,
    crmId: record.crmId,
    sahutId: created.id,
    phone: identity.phone,
    email: identity.email,
    base: record.contact,
    crmHash: record.hash,
    sahutHash: contactHash(projectSahut(created, record.contact, ctx.defaultRegion)),
    syncedAt: new Date(),
    writtenBy: ctx.runId ? { runId: ctx.runId, action: 'created' } : null,
  };
  await ports.store.upsertLink(link);
  return link;
}

/** A record whose link already holds its content: unchanged, or what an earlier attempt of this run did. */
function settled(link: Link, ctx: ToSahutContext, record: Ready): RecordOutcome {
  const earlier = writtenEarlier(link, ctx.runId);
  if (!earlier) return outcome('unchanged', record, link.sahutId);
  return outcome(earlier, record, link.sahutId, { error: WRITTEN_EARLIER });
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
  extra: { diff?: FieldDiff | null; error?: string; detail?: unknown; link?: Link } = {},
): RecordOutcome {
  const { diff = null, error = null, detail, link } = extra;
  return {
    action,
    crmId: record.crmId,
    sahutId,
    diff,
    error,
    ...(detail === undefined ? {} : { detail }),
    ...(link ? { link } : {}),
  };
}
