import type { Finding } from './fate.ts';

/**
 * A person's removal during the soak:
 * - `delete-soft` / `delete-hard`: the CRM row soft-deleted (`deleted_at`) or deleted (a tombstone);
 * - `recreate`: the row deleted, then the person entered again as a new row with the same phone
 *   and email (`recreatedAs`);
 * - `crm-merge` (HubSpot): a person merged two contacts in HubSpot: both records are gone, and the
 *   new record HubSpot made holds the primary's properties (`recreatedAs` on the primary's entry);
 * - `sahut-delete`: an agent deleted the contact in Sahut;
 * - `sahut-merge`: an agent merged the contact into another (`survivor`), which keeps its own
 *   phone and email.
 */
export interface Deletion {
  kind: 'delete-soft' | 'delete-hard' | 'recreate' | 'crm-merge' | 'sahut-delete' | 'sahut-merge';
  /** `Date.now()` once the deletion was visible on its side. */
  at: number;
  record: string;
  contactId: string;
  /** The record's phone and email when it was deleted, in the compared form. */
  phone: string | null;
  email: string | null;
  recreatedAs?: string;
  survivor?: { record: string; contactId: string };
}

/** An audit row as this verdict reads it. */
export interface AuditNote {
  record: string;
  action: string;
  at: number;
  sahutId: string | null;
}

/** A contact the sync created (a `POST`): when, and the phone and email it carried. */
export interface Post {
  at: number;
  phone: unknown;
  email: unknown;
}

export interface DeletionInput {
  deletions: readonly Deletion[];
  audit: readonly AuditNote[];
  /** Open links at the end: record → contact id. */
  links: ReadonlyMap<string, string>;
  /** Contacts Sahut holds at the end. */
  contacts: ReadonlySet<string>;
  posts: readonly Post[];
}

export interface DeletionVerdict {
  counts: { deleted: number; relinked: number; goneInSahut: number };
  problems: Finding[];
  /** Records whose fields are not judged: removed on purpose, merged into, or entered again. */
  excluded: Set<string>;
  /** Contacts left without a record on purpose (their record was deleted in the CRM). */
  unlinked: Set<string>;
}

/**
 * Judges every removal from the audit and both sides' end state, as docs/deletions.md says:
 * a CRM deletion has one `deleted` row and its link closed (a re-entered person is linked to the
 * same contact); a contact gone from Sahut leaves its record `gone-in-sahut` (the link kept) or
 * `relinked`, once; and no contact is created with a removed person's phone or email afterwards.
 */
export function judgeDeletions(input: DeletionInput): DeletionVerdict {
  const v: DeletionVerdict = {
    counts: { deleted: 0, relinked: 0, goneInSahut: 0 },
    problems: [],
    excluded: new Set(),
    unlinked: new Set(),
  };
  const problem = (d: Deletion, what: string) =>
    v.problems.push({ record: d.record, field: '*', what: `${d.kind}: ${what}` });
  for (const d of input.deletions) {
    const rows = input.audit.filter((r) => r.record === d.record);
    const count = (action: string) => rows.filter((r) => r.action === action).length;
    v.excluded.add(d.record);
    if (!d.kind.startsWith('sahut-')) {
      v.counts.deleted += count('deleted');
      if (count('deleted') !== 1) problem(d, `${count('deleted')} "deleted" audit rows, not 1`);
      if (input.links.has(d.record)) problem(d, `still linked to ${input.links.get(d.record)}`);
      if (d.recreatedAs) {
        v.excluded.add(d.recreatedAs);
        const now = input.links.get(d.recreatedAs);
        if (now !== d.contactId)
          problem(d, `entered again as ${d.recreatedAs}, linked to ${now ?? 'nothing'}, not ${d.contactId}`);
      } else v.unlinked.add(d.contactId);
    } else {
      const gone = count('gone-in-sahut');
      const relinked = count('relinked');
      v.counts.goneInSahut += gone;
      v.counts.relinked += relinked;
      if (gone + relinked !== 1)
        problem(d, `${gone} "gone-in-sahut" and ${relinked} "relinked" audit rows, not one of them`);
      const now = input.links.get(d.record);
      if (gone === 1 && now !== d.contactId) problem(d, `flagged, but linked to ${now ?? 'nothing'}`);
      if (relinked === 1 && (!now || !input.contacts.has(now)))
        problem(d, `relinked, but linked to ${now ?? 'nothing'}, which Sahut does not hold`);
      if (d.survivor) v.excluded.add(d.survivor.record);
    }
    const created = input.posts.filter(
      (p) => p.at >= d.at && ((d.phone && p.phone === d.phone) || (d.email && p.email === d.email)),
    );
    if (created.length > 0) problem(d, `${created.length} contact(s) created with its phone or email after`);
  }
  return v;
}
