import { describe, expect, it } from 'vitest';
import type { ChaosRemoval } from './helpers/chaos/removals.ts';
import { type ChaosRemovalInput, judgeChaosRemovals } from './helpers/chaos/verdict-removals.ts';
import type { AuditNote } from './helpers/soak/deletions.ts';

/** The chaos suite's verdict on removals, on hand-made audits and end states. */
const phone = '+6281210000001';
const email = 'customer1@example.co.id';
const removal = (kind: ChaosRemoval['kind'], extra: Partial<ChaosRemoval> = {}): ChaosRemoval => ({
  kind,
  crmId: '1',
  at: 1000,
  phone,
  email,
  contactId: 'c1',
  ...extra,
});
const note = (action: string, record = '1'): AuditNote => ({ record, action, at: 2000, sahutId: 'c1' });
const contact = (id: string, tags: string[] = [], identity = { phone, email }) => ({ id, ...identity, tags });

function judge(r: ChaosRemoval, over: Partial<ChaosRemovalInput>) {
  return judgeChaosRemovals({
    removals: [r],
    audit: [],
    links: new Map(),
    contacts: [],
    posts: [],
    deletedTag: 'crm-deleted',
    ...over,
  });
}

describe('judgeChaosRemovals', () => {
  it('a linked row deleted in the CRM: one deleted row, the link closed, its contact tagged and accounted for', () => {
    const v = judge(removal('crm-hard'), {
      audit: [note('deleted')],
      contacts: [contact('c1', ['vip', 'crm-deleted'])],
    });
    expect(v.problems).toEqual([]);
    expect(v.counts.deleted).toBe(1);
    expect([...v.accounted]).toEqual(['c1']);
    expect(v.removedContacts.has('c1')).toBe(true);
  });

  it('the deleted person left in Sahut without the tag is wrong', () => {
    const v = judge(removal('crm-soft'), { audit: [note('deleted')], contacts: [contact('c1', ['vip'])] });
    expect(v.problems).toEqual([
      'removal of crm 1 (crm-soft): contact c1 holds its phone or email, is linked to no record and lacks the tag crm-deleted',
    ]);
  });

  it('a row deleted before it was linked may end with no contact and no audit row', () => {
    expect(judge(removal('crm-hard', { contactId: null }), {}).problems).toEqual([]);
  });

  it('a row deleted before it was linked must not stay linked to the contact a job in flight made', () => {
    const v = judge(removal('crm-hard', { contactId: null }), {
      links: new Map([['1', 'c9']]),
      contacts: [contact('c9')],
    });
    expect(v.problems).toContain(
      'removal of crm 1 (crm-hard): deleted before it was linked, yet linked to c9',
    );
  });

  it('a contact created before its unlinked row was deleted, and never tagged, is an orphan counted apart', () => {
    const r = removal('crm-soft', { contactId: null });
    const before = judge(r, { contacts: [contact('c9')], posts: [{ at: 900, phone, email }] });
    expect(before.problems).toEqual([]);
    expect(before.orphans).toEqual(['contact c9 of crm 1, created before the row was deleted unlinked']);
    const after = judge(r, { contacts: [contact('c9')], posts: [{ at: 1100, phone, email }] });
    expect(after.orphans).toEqual([]);
    expect(after.problems).toHaveLength(1);
  });

  it('a person entered again is linked to the same contact, which is then not a stray', () => {
    const r = removal('crm-soft', { reenteredAs: '301' });
    const right = judge(r, {
      audit: [note('deleted')],
      links: new Map([['301', 'c1']]),
      contacts: [contact('c1')],
    });
    expect(right.problems).toEqual([]);
    expect(right.accounted.has('c1')).toBe(false);
    const twice = judge(r, {
      audit: [note('deleted')],
      links: new Map([['301', 'c2']]),
      contacts: [contact('c1', ['crm-deleted']), contact('c2')],
      posts: [{ at: 1500, phone, email }],
    });
    expect(twice.problems).toEqual([
      'removal of crm 1: recreate: entered again as 301, linked to c2, not c1',
      'removal of crm 1: recreate: 1 contact(s) created with its phone or email after',
    ]);
  });

  it('a contact deleted in Sahut leaves its row flagged, and the contact verdict skips the row', () => {
    const v = judge(removal('sahut-delete'), {
      audit: [note('gone-in-sahut')],
      links: new Map([['1', 'c1']]),
    });
    expect(v.problems).toEqual([]);
    expect([...v.flaggedRows]).toEqual(['1']);
  });

  it('a merge relinked to its survivor leaves the survivor to the contact verdict; one flagged accounts for it', () => {
    const r = removal('sahut-merge', { survivor: 'c7' });
    const relinked = judge(r, {
      audit: [note('relinked')],
      links: new Map([['1', 'c7']]),
      contacts: [contact('c7')],
    });
    expect(relinked.problems).toEqual([]);
    expect(relinked.accounted.size).toBe(0);
    const flagged = judge(r, { audit: [note('gone-in-sahut')], links: new Map([['1', 'c1']]) });
    expect([...flagged.accounted]).toEqual(['c7']);
    expect(judge(r, {}).problems).toEqual([
      'removal of crm 1: sahut-merge: 0 "gone-in-sahut" and 0 "relinked" audit rows, not one of them',
    ]);
  });
});
