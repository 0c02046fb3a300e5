import { describe, expect, it } from 'vitest';
import {
  type AuditNote,
  type Deletion,
  type DeletionInput,
  judgeDeletions,
} from './helpers/soak/deletions.ts';

/** The soak suite's verdict on removals, on hand-made audits and end states. */
const phone = '+6281210000001';
const email = 'p1@crm1.soak.example';
const removal = (kind: Deletion['kind'], extra: Partial<Deletion> = {}): Deletion => ({
  kind,
  at: 1000,
  record: 'pg:1',
  contactId: 'c1',
  phone,
  email,
  ...extra,
});
const note = (action: string, record = 'pg:1', at = 2000): AuditNote => ({
  record,
  action,
  at,
  sahutId: 'c1',
});

function judge(d: Deletion, over: Partial<DeletionInput>) {
  return judgeDeletions({
    deletions: [d],
    audit: [],
    links: new Map(),
    contacts: new Set(['c1', 'c2']),
    posts: [],
    ...over,
  });
}

describe('judgeDeletions', () => {
  it('a CRM deletion with one deleted row and its link closed is right; its contact may stay unlinked', () => {
    const v = judge(removal('delete-hard'), { audit: [note('updated'), note('deleted')] });
    expect(v.problems).toEqual([]);
    expect(v.counts).toEqual({ deleted: 1, relinked: 0, goneInSahut: 0 });
    expect([...v.excluded]).toEqual(['pg:1']);
    expect([...v.unlinked]).toEqual(['c1']);
  });

  it('a CRM deletion noted twice, or never, or whose link stayed open, is wrong', () => {
    const twice = judge(removal('delete-soft'), { audit: [note('deleted'), note('deleted')] });
    expect(twice.problems.map((p) => p.what)).toEqual(['delete-soft: 2 "deleted" audit rows, not 1']);
    const open = judge(removal('delete-soft'), { links: new Map([['pg:1', 'c1']]) });
    expect(open.problems.map((p) => p.what)).toEqual([
      'delete-soft: 0 "deleted" audit rows, not 1',
      'delete-soft: still linked to c1',
    ]);
  });

  it('a person entered again is linked to the same contact, not to a second one', () => {
    const d = removal('recreate', { recreatedAs: 'pg:31' });
    const right = judge(d, { audit: [note('deleted')], links: new Map([['pg:31', 'c1']]) });
    expect(right.problems).toEqual([]);
    expect([...right.excluded]).toEqual(['pg:1', 'pg:31']);
    expect([...right.unlinked]).toEqual([]);
    const two = judge(d, {
      audit: [note('deleted')],
      links: new Map([['pg:31', 'c9']]),
      posts: [{ at: 1500, phone, email: 'other@x.example' }],
    });
    expect(two.problems.map((p) => p.what)).toEqual([
      'recreate: entered again as pg:31, linked to c9, not c1',
      'recreate: 1 contact(s) created with its phone or email after',
    ]);
  });

  it("a HubSpot merge: both records deleted once; the merged record linked to the primary's contact, the other's left unlinked", () => {
    const primary = removal('crm-merge', { record: 'hub:1', recreatedAs: 'hub:9' });
    const other = removal('crm-merge', { record: 'hub:2', contactId: 'c2', phone: null, email: null });
    const v = judgeDeletions({
      deletions: [primary, other],
      audit: [note('deleted', 'hub:1'), note('deleted', 'hub:2')],
      links: new Map([['hub:9', 'c1']]),
      contacts: new Set(['c1', 'c2']),
      posts: [],
    });
    expect(v.problems).toEqual([]);
    expect(v.counts.deleted).toBe(2);
    expect([...v.excluded].sort()).toEqual(['hub:1', 'hub:2', 'hub:9']);
    expect([...v.unlinked]).toEqual(['c2']);
    const wrong = judge(primary, { audit: [note('deleted', 'hub:1')], links: new Map([['hub:9', 'c7']]) });
    expect(wrong.problems.map((p) => p.what)).toEqual([
      'crm-merge: entered again as hub:9, linked to c7, not c1',
    ]);
  });

  it('a POST with the phone before the deletion is no matter', () => {
    const v = judge(removal('delete-hard'), { audit: [note('deleted')], posts: [{ at: 500, phone, email }] });
    expect(v.problems).toEqual([]);
  });

  it('a contact deleted in Sahut ends flagged with its link kept, or relinked to a contact Sahut holds', () => {
    const flagged = judge(removal('sahut-delete'), {
      audit: [note('gone-in-sahut')],
      links: new Map([['pg:1', 'c1']]),
    });
    expect(flagged.problems).toEqual([]);
    expect(flagged.counts).toEqual({ deleted: 0, relinked: 0, goneInSahut: 1 });
    const merged = removal('sahut-merge', { survivor: { record: 'pg:2', contactId: 'c2' } });
    const relinked = judge(merged, { audit: [note('relinked')], links: new Map([['pg:1', 'c2']]) });
    expect(relinked.problems).toEqual([]);
    expect([...relinked.excluded]).toEqual(['pg:1', 'pg:2']);
  });

  it('a contact deleted in Sahut that is flagged twice, never, recreated or relinked to nothing is wrong', () => {
    const d = removal('sahut-delete');
    const what = (over: Partial<DeletionInput>) => judge(d, over).problems.map((p) => p.what);
    expect(
      what({ audit: [note('gone-in-sahut'), note('gone-in-sahut')], links: new Map([['pg:1', 'c1']]) }),
    ).toEqual(['sahut-delete: 2 "gone-in-sahut" and 0 "relinked" audit rows, not one of them']);
    expect(what({ audit: [note('recreated')], posts: [{ at: 3000, phone: null, email }] })).toEqual([
      'sahut-delete: 0 "gone-in-sahut" and 0 "relinked" audit rows, not one of them',
      'sahut-delete: 1 contact(s) created with its phone or email after',
    ]);
    expect(what({ audit: [note('relinked')], links: new Map([['pg:1', 'c7']]) })).toEqual([
      'sahut-delete: relinked, but linked to c7, which Sahut does not hold',
    ]);
  });
});
