import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/domain/index.ts';
import { mergeContact, mergeTags, type Owners } from '../src/sync/index.ts';

const base: Contact = {
  name: 'Budi',
  phone: '+628123456789',
  email: 'budi@example.com',
  company: 'PT Lama',
  tags: ['vip', 'reseller'],
  custom_attributes: { tier: 'gold', city: 'Bandung' },
};
const merge = (crm: Contact, sahut: Contact, more: Partial<Parameters<typeof mergeContact>[0]> = {}) =>
  mergeContact({ base, crm, sahut, ...more });

describe('mergeContact', () => {
  it('does nothing when neither side changed', () => {
    expect(merge(base, base)).toEqual({ merged: base, toSahut: {}, toCrm: {}, conflicts: [] });
  });

  it('takes the CRM change and writes it to Sahut only', () => {
    const result = merge({ ...base, company: 'PT Baru' }, base);
    expect(result.merged.company).toBe('PT Baru');
    expect(result.toSahut).toEqual({ company: { before: 'PT Lama', after: 'PT Baru' } });
    expect(result.toCrm).toEqual({});
    expect(result.conflicts).toEqual([]);
  });

  it('takes the Sahut change and writes it to the CRM only', () => {
    const result = merge(base, { ...base, email: 'budi@baru.id' });
    expect(result.merged.email).toBe('budi@baru.id');
    expect(result.toCrm).toEqual({ email: { before: 'budi@example.com', after: 'budi@baru.id' } });
    expect(result.toSahut).toEqual({});
    expect(result.conflicts).toEqual([]);
  });

  it('takes an emptied field like any other change', () => {
    const result = merge(base, { ...base, company: null });
    expect(result.merged.company).toBeNull();
    expect(result.toCrm).toEqual({ company: { before: 'PT Lama', after: null } });
  });

  it('is a no-op when both sides made the same change', () => {
    const changed = { ...base, company: 'PT Baru' };
    expect(merge(changed, changed)).toEqual({ merged: changed, toSahut: {}, toCrm: {}, conflicts: [] });
  });

  it('lets the CRM win a conflict on a field owned by both, and records it', () => {
    const result = merge({ ...base, company: 'PT CRM' }, { ...base, company: 'PT Sahut' });
    expect(result.merged.company).toBe('PT CRM');
    expect(result.toSahut).toEqual({ company: { before: 'PT Sahut', after: 'PT CRM' } });
    expect(result.toCrm).toEqual({});
    expect(result.conflicts).toEqual([
      { field: 'company', base: 'PT Lama', crm: 'PT CRM', sahut: 'PT Sahut', resolution: 'crm' },
    ]);
  });

  it('lets Sahut win a conflict when onConflict is sahut', () => {
    const result = merge(
      { ...base, company: 'PT CRM' },
      { ...base, company: 'PT Sahut' },
      { onConflict: 'sahut' },
    );
    expect(result.merged.company).toBe('PT Sahut');
    expect(result.toCrm).toEqual({ company: { before: 'PT CRM', after: 'PT Sahut' } });
    expect(result.toSahut).toEqual({});
    expect(result.conflicts).toMatchObject([{ field: 'company', resolution: 'sahut' }]);
  });

  it('lets the owner win a conflict, whatever onConflict says', () => {
    const crm = { ...base, name: 'Budi CRM', company: 'PT CRM' };
    const sahut = { ...base, name: 'Budi Sahut', company: 'PT Sahut' };
    const result = merge(crm, sahut, { owners: { name: 'sahut', company: 'crm' }, onConflict: 'sahut' });
    expect(result.merged).toMatchObject({ name: 'Budi Sahut', company: 'PT CRM' });
    expect(result.toCrm).toEqual({ name: { before: 'Budi CRM', after: 'Budi Sahut' } });
    expect(result.toSahut).toEqual({ company: { before: 'PT Sahut', after: 'PT CRM' } });
    expect(result.conflicts.map((c) => [c.field, c.resolution])).toEqual([
      ['name', 'sahut'],
      ['company', 'crm'],
    ]);
  });

  it('merges custom attributes per key', () => {
    const crm = { ...base, custom_attributes: { tier: 'platinum', city: 'Bandung', note: 'crm' } };
    const sahut = { ...base, custom_attributes: { tier: 'gold', city: 'Jakarta', note: 'sahut' } };
    const result = merge(crm, sahut);
    expect(result.merged.custom_attributes).toEqual({ tier: 'platinum', city: 'Jakarta', note: 'crm' });
    expect(result.toSahut).toEqual({
      'custom_attributes.tier': { before: 'gold', after: 'platinum' },
      'custom_attributes.note': { before: 'sahut', after: 'crm' },
    });
    expect(result.toCrm).toEqual({ 'custom_attributes.city': { before: 'Bandung', after: 'Jakarta' } });
    expect(result.conflicts).toEqual([
      { field: 'custom_attributes.note', base: null, crm: 'crm', sahut: 'sahut', resolution: 'crm' },
    ]);
  });

  it('finds attribute owners per key, then for all attributes', () => {
    const crm = { ...base, custom_attributes: { tier: 'c', city: 'c' } };
    const sahut = { ...base, custom_attributes: { tier: 's', city: 's' } };
    const owners = { custom_attributes: 'sahut', 'custom_attributes.tier': 'crm' } as const;
    expect(merge(crm, sahut, { owners }).merged.custom_attributes).toEqual({ tier: 'c', city: 's' });
  });

  it('set-merges tags owned by both when both sides changed them', () => {
    const crm = { ...base, tags: ['vip', 'new-crm'] }; // removed reseller, added new-crm
    const sahut = { ...base, tags: ['reseller', 'new-sahut'] }; // removed vip, added new-sahut
    const result = merge(crm, sahut);
    expect(result.merged.tags).toEqual(['new-crm', 'new-sahut']);
    expect(result.toSahut.tags).toEqual({
      before: ['reseller', 'new-sahut'],
      after: ['new-crm', 'new-sahut'],
    });
    expect(result.toCrm.tags).toEqual({ before: ['vip', 'new-crm'], after: ['new-crm', 'new-sahut'] });
    expect(result.conflicts).toMatchObject([{ field: 'tags', resolution: 'merged' }]);
  });

  it('writes tags only to the side that lacks the merged set', () => {
    const crm = { ...base, tags: ['vip', 'reseller', 'x'] };
    const sahut = { ...base, tags: ['vip'] };
    const result = merge(crm, sahut);
    expect(result.merged.tags).toEqual(['vip', 'x']);
    expect(Object.keys(result.toSahut)).toEqual(['tags']);
    expect(Object.keys(result.toCrm)).toEqual(['tags']);
  });

  it('takes the owner list wholesale for tags owned by one side', () => {
    const crm = { ...base, tags: ['vip', 'new-crm'] };
    const sahut = { ...base, tags: ['reseller', 'new-sahut'] };
    expect(merge(crm, sahut, { owners: { tags: 'crm' } }).merged.tags).toEqual(['vip', 'new-crm']);
    expect(merge(crm, sahut, { owners: { tags: 'sahut' } }).merged.tags).toEqual(['reseller', 'new-sahut']);
  });

  it('ignores a different tag order', () => {
    const result = merge(base, { ...base, tags: ['reseller', 'vip'] });
    expect(result.toSahut).toEqual({});
    expect(result.toCrm).toEqual({});
  });

  it('never writes back to the CRM a field Sahut holds at its base value (echo suppression)', () => {
    const crm: Contact = {
      name: 'New',
      phone: null,
      email: 'new@example.com',
      company: 'PT Baru',
      tags: ['other'],
      custom_attributes: { tier: 'silver', city: null, extra: 'x' },
    };
    const ownerSets: Owners[] = [{}, { name: 'sahut', tags: 'sahut', custom_attributes: 'sahut' }];
    for (const owners of ownerSets) {
      for (const onConflict of ['crm', 'sahut'] as const) {
        const result = merge(crm, base, { owners, onConflict });
        expect(result.toCrm).toEqual({});
        expect(Object.keys(result.toSahut).length).toBe(8);
        expect(result.merged).toEqual(crm);
        expect(result.conflicts).toEqual([]);
      }
    }
  });

  it('merges only fields present on both sides', () => {
    const result = merge({ name: 'Budi', company: 'PT Baru' }, { name: 'Budi', phone: '+6281111111111' });
    expect(result.merged).toEqual({ name: 'Budi' });
    expect(result.toSahut).toEqual({});
    expect(result.toCrm).toEqual({});
  });

  it('treats a field missing from the base as null', () => {
    const result = mergeContact({ base: {}, crm: { company: 'A' }, sahut: { company: 'B' } });
    expect(result.conflicts).toEqual([
      { field: 'company', base: null, crm: 'A', sahut: 'B', resolution: 'crm' },
    ]);
  });
});

describe('mergeTags', () => {
  it('applies both sides additions and removals, crm order first', () => {
    expect(mergeTags(['a', 'b', 'c'], ['c', 'a', 'd'], ['b', 'c', 'e', 'a'])).toEqual(['c', 'a', 'd', 'e']);
  });
  it('does not duplicate a tag both sides added', () => {
    expect(mergeTags([], ['x', 'y'], ['y', 'z'])).toEqual(['x', 'y', 'z']);
  });
});
