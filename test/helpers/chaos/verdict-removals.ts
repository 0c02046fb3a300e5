import { type AuditNote, type Deletion, judgeDeletions, type Post } from '../soak/deletions.ts';
import type { ChaosRemoval } from './removals.ts';

/** A contact as the removal verdict reads Sahut at the end. */
export interface EndContact {
  id: string;
  phone: string | null;
  email: string | null;
  tags: readonly string[];
}

export interface ChaosRemovalInput {
  removals: readonly ChaosRemoval[];
  /** The audit rows of the removed records. */
  audit: readonly AuditNote[];
  /** Every open link at the end: record → contact. */
  links: ReadonlyMap<string, string>;
  contacts: readonly EndContact[];
  /** Contacts the sync created (its `POST`s). */
  posts: readonly Post[];
  /** `options.crmDeletedTag`. */
  deletedTag: string;
}

export interface ChaosRemovalVerdict {
  counts: { deleted: number; relinked: number; goneInSahut: number };
  problems: string[];
  /** CRM rows the contact verdict leaves out: their contact vanished from Sahut and they are flagged. */
  flaggedRows: Set<string>;
  /** Contacts that are not strays: a deleted person's (tagged), a merge's survivor left unlinked. */
  accounted: Set<string>;
  /** Contacts removed, or of a removed record: agents' edits of them are not judged. */
  removedContacts: Set<string>;
  /**
   * Contacts the sync created for a row before the row was deleted, while the row was not linked
   * yet, and that nothing tagged: the create's answer never reached the sync (dropped, or its
   * process killed) and the row was gone before a retry could find the contact (a limit, counted
   * apart; docs/deletions.md).
   */
  orphans: string[];
}

/**
 * Judges the chaos suite's removals as docs/deletions.md says. A record linked when it was removed
 * is judged like the soak's (`judgeDeletions`: one `deleted`, `gone-in-sahut` or `relinked` row,
 * the link closed or kept as it says, a re-entered person linked to the same contact, no contact
 * created with its phone or email afterwards). A row deleted before it was ever linked (its job
 * may still be in flight) ends with no link and at most one `deleted` row. Either way a contact
 * left holding a deleted person's phone or email, linked to no record, must carry the tag: Sahut
 * shows that the person left the CRM.
 */
export function judgeChaosRemovals(input: ChaosRemovalInput): ChaosRemovalVerdict {
  const linked = judgeDeletions({
    deletions: input.removals.filter((r) => r.contactId !== null).map(toDeletion),
    audit: input.audit,
    links: input.links,
    contacts: new Set(input.contacts.map((c) => c.id)),
    posts: input.posts,
  });
  const v: ChaosRemovalVerdict = {
    counts: linked.counts,
    problems: linked.problems.map((f) => `removal of crm ${f.record}: ${f.what}`),
    flaggedRows: new Set(),
    accounted: new Set(),
    removedContacts: new Set(),
    orphans: [],
  };
  const owners = new Map([...input.links].map(([record, contact]) => [contact, record]));
  const rows = (r: ChaosRemoval, action: string) =>
    input.audit.filter((a) => a.record === r.crmId && a.action === action).length;
  for (const r of input.removals) {
    const problem = (what: string) => v.problems.push(`removal of crm ${r.crmId} (${r.kind}): ${what}`);
    if (r.contactId) v.removedContacts.add(r.contactId);
    if (r.kind === 'sahut-delete' || r.kind === 'sahut-merge') {
      if (rows(r, 'gone-in-sahut') > 0) v.flaggedRows.add(r.crmId);
      if (r.survivor && rows(r, 'relinked') === 0) v.accounted.add(r.survivor);
      continue;
    }
    if (r.contactId === null) {
      const deleted = rows(r, 'deleted');
      v.counts.deleted += deleted;
      if (deleted > 1) problem(`${deleted} "deleted" audit rows`);
      if (input.links.has(r.crmId))
        problem(`deleted before it was linked, yet linked to ${input.links.get(r.crmId)}`);
    }
    const holders = input.contacts.filter(
      (c) => (r.phone !== null && c.phone === r.phone) || (r.email !== null && c.email === r.email),
    );
    const createdBefore = input.posts.some(
      (p) =>
        p.at < r.at &&
        ((r.phone !== null && p.phone === r.phone) || (r.email !== null && p.email === r.email)),
    );
    for (const c of holders) {
      if (owners.has(c.id)) continue;
      v.accounted.add(c.id);
      v.removedContacts.add(c.id);
      if (c.tags.includes(input.deletedTag)) continue;
      if (r.contactId === null && createdBefore && rows(r, 'deleted') === 0)
        v.orphans.push(`contact ${c.id} of crm ${r.crmId}, created before the row was deleted unlinked`);
      else
        problem(
          `contact ${c.id} holds its phone or email, is linked to no record and lacks the tag ${input.deletedTag}`,
        );
    }
  }
  return v;
}

function toDeletion(r: ChaosRemoval): Deletion {
  const kind =
    r.kind === 'crm-soft' || r.kind === 'crm-hard'
      ? r.reenteredAs
        ? 'recreate'
        : r.kind === 'crm-soft'
          ? 'delete-soft'
          : 'delete-hard'
      : r.kind;
  return {
    kind,
    at: r.at,
    record: r.crmId,
    contactId: r.contactId as string,
    phone: r.phone,
    email: r.email,
    ...(r.reenteredAs ? { recreatedAs: r.reenteredAs } : {}),
  };
}
