import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/domain/index.ts';
import type { SahutContact } from '../src/sahut/types.ts';
import { planCreate, planUpdate, projectSahut } from '../src/sync/index.ts';

function ct(over: Partial<SahutContact> = {}): SahutContact {
  return {
    id: 'ct_A',
    name: 'Budi Santoso',
    phone: '+628123456789',
    email: 'budi@example.com',
    company: 'PT Contoh',
    tags: ['vip', 'reseller'],
    custom_attributes: { customer_tier: 'gold', visits: 3 },
    created_at: '2024-01-10T10:00:00Z',
    ...over,
  };
}
const desired: Contact = {
  name: 'Budi Santoso',
  phone: '+628123456789',
  email: 'budi@example.com',
  company: 'PT Contoh',
  tags: ['vip', 'reseller'],
  custom_attributes: { customer_tier: 'gold' },
};
const opts = { defaultRegion: 'ID' };

describe('planCreate', () => {
  it('sends every non-empty field', () => {
    expect(planCreate(desired)).toEqual({ kind: 'create', body: desired });
  });

  it('omits absent, null and empty fields and null attributes', () => {
    const plan = planCreate({
      name: 'Siti',
      phone: null,
      company: null,
      tags: [],
      custom_attributes: { tier: null, note: 'x' },
    });
    expect(plan).toEqual({ kind: 'create', body: { name: 'Siti', custom_attributes: { note: 'x' } } });
    expect(planCreate({ name: 'Siti', custom_attributes: { tier: null } })).toEqual({
      kind: 'create',
      body: { name: 'Siti' },
    });
  });

  it.each([{}, { name: null }, { name: '' }])('rejects a contact without a name: %j', (contact) => {
    expect(planCreate({ ...contact, phone: '+628123456789' })).toEqual({
      kind: 'reject',
      reason: 'name is required by Sahut',
    });
  });
});

describe('planUpdate', () => {
  it('is an empty patch when nothing changed', () => {
    expect(planUpdate(desired, ct(), opts)).toEqual({ patch: {}, diff: {} });
  });

  it('sees through formatting differences in what Sahut stores', () => {
    const current = ct({
      name: ' Budi Santoso',
      phone: '0812 3456 789',
      email: 'Budi@Example.COM',
      company: 'PT Contoh ',
      tags: ['reseller', 'vip', ' vip'],
      custom_attributes: { customer_tier: ' gold ' },
    });
    expect(planUpdate(desired, current, opts).patch).toEqual({});
  });

  it('sees a changed inner space in a name as a change: the value is kept as written', () => {
    const plan = planUpdate(desired, ct({ name: 'Budi  Santoso' }), opts);
    expect(plan.patch).toEqual({ name: 'Budi Santoso' });
  });

  it('sends only the changed fields, with a before/after diff', () => {
    const plan = planUpdate({ ...desired, company: 'PT Baru', email: 'budi@baru.id' }, ct(), opts);
    expect(plan.patch).toEqual({ company: 'PT Baru', email: 'budi@baru.id' });
    expect(plan.diff).toEqual({
      company: { before: 'PT Contoh', after: 'PT Baru' },
      email: { before: 'budi@example.com', after: 'budi@baru.id' },
    });
  });

  it('compares only the fields present in desired', () => {
    const plan = planUpdate({ name: 'Budi Santoso' }, ct({ company: 'Other', tags: [], phone: null }), opts);
    expect(plan.patch).toEqual({});
  });

  it('clears a field the CRM emptied', () => {
    const plan = planUpdate({ company: null, phone: null }, ct(), opts);
    expect(plan.patch).toEqual({ company: null, phone: null });
    expect(plan.diff.phone).toEqual({ before: '+628123456789', after: null });
  });

  it('never sends a null name', () => {
    expect(planUpdate({ name: null }, ct(), opts).patch).toEqual({});
  });

  it('replaces an invalid phone stored in Sahut', () => {
    const plan = planUpdate({ phone: '+628123456789' }, ct({ phone: 'call me' }), opts);
    expect(plan.patch).toEqual({ phone: '+628123456789' });
    expect(plan.diff.phone).toEqual({ before: 'call me', after: '+628123456789' });
  });

  it('clears an invalid phone stored in Sahut when the CRM has none', () => {
    expect(planUpdate({ phone: null }, ct({ phone: 'call me' }), opts).patch).toEqual({ phone: null });
  });

  it('needs the region to read a national phone stored in Sahut', () => {
    const current = ct({ phone: '0812 3456 789' });
    expect(planUpdate({ phone: '+628123456789' }, current, opts).patch).toEqual({});
    expect(planUpdate({ phone: '+628123456789' }, current).patch).toEqual({ phone: '+628123456789' });
  });

  it('treats tags as a set but sends the full desired list when they differ', () => {
    expect(planUpdate({ tags: ['reseller', 'vip'] }, ct(), opts).patch).toEqual({});
    const plan = planUpdate({ tags: ['vip', 'reseller', 'platinum'] }, ct(), opts);
    expect(plan.patch).toEqual({ tags: ['vip', 'reseller', 'platinum'] });
    expect(plan.diff.tags).toEqual({ before: ['vip', 'reseller'], after: ['vip', 'reseller', 'platinum'] });
    expect(planUpdate({ tags: [] }, ct(), opts).patch).toEqual({ tags: [] });
  });

  it('compares custom attributes per key and sends only the changed keys', () => {
    const plan = planUpdate(
      { custom_attributes: { customer_tier: 'platinum', visits: 3, region: 'Jakarta', gone: null } },
      ct(),
      opts,
    );
    expect(plan.patch).toEqual({ custom_attributes: { customer_tier: 'platinum', region: 'Jakarta' } });
    expect(plan.diff).toEqual({
      'custom_attributes.customer_tier': { before: 'gold', after: 'platinum' },
      'custom_attributes.region': { before: null, after: 'Jakarta' },
    });
  });

  it('distinguishes attribute types', () => {
    expect(planUpdate({ custom_attributes: { visits: '3' } }, ct(), opts).patch).toEqual({
      custom_attributes: { visits: '3' },
    });
  });

  it('can send the whole attribute object for a Sahut that replaces it', () => {
    const plan = planUpdate({ custom_attributes: { customer_tier: 'silver' } }, ct(), {
      ...opts,
      sendAllAttributes: true,
    });
    expect(plan.patch).toEqual({ custom_attributes: { customer_tier: 'silver', visits: 3 } });
    expect(Object.keys(plan.diff)).toEqual(['custom_attributes.customer_tier']);
  });

  it('never sends fields owned by sahut', () => {
    const change: Contact = {
      ...desired,
      company: 'PT Baru',
      tags: ['new'],
      custom_attributes: { customer_tier: 'silver', visits: 9 },
    };
    const plan = planUpdate(change, ct(), {
      ...opts,
      owners: { company: 'sahut', tags: 'sahut', 'custom_attributes.customer_tier': 'sahut' },
    });
    expect(plan.patch).toEqual({ custom_attributes: { visits: 9 } });
    const all = planUpdate(change, ct(), { ...opts, owners: { custom_attributes: 'sahut', company: 'crm' } });
    expect(all.patch).toEqual({ company: 'PT Baru', tags: ['new'] });
  });
});

describe('projectSahut', () => {
  it('keeps only the fields and attribute keys of the shape, normalised', () => {
    const seen = projectSahut(
      ct({ phone: '0812 3456 789', email: ' Budi@Example.COM ', tags: ['a', 'a '] }),
      { phone: null, email: null, tags: [], custom_attributes: { customer_tier: null, missing: 'x' } },
      'ID',
    );
    expect(seen).toEqual({
      phone: '+628123456789',
      email: 'budi@example.com',
      tags: ['a'],
      custom_attributes: { customer_tier: 'gold', missing: null },
    });
  });
});
