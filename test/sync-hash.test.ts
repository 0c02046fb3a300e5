import { describe, expect, it } from 'vitest';
import { canonicalJson, contactHash } from '../src/sync/index.ts';

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
  it('leaves undefined members out', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });
});

describe('contactHash', () => {
  const contact = {
    name: 'Budi',
    phone: '+628123456789',
    email: 'budi@example.com',
    tags: ['vip', 'reseller'],
    custom_attributes: { tier: 'gold', visits: 3 },
  };

  it('is a sha256 hex digest', () => {
    expect(contactHash(contact)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable under key order, including attribute keys', () => {
    const reordered = {
      custom_attributes: { visits: 3, tier: 'gold' },
      tags: ['vip', 'reseller'],
      email: 'budi@example.com',
      phone: '+628123456789',
      name: 'Budi',
    };
    expect(contactHash(reordered)).toBe(contactHash(contact));
  });

  it('changes with any value', () => {
    const base = contactHash(contact);
    expect(contactHash({ ...contact, name: 'Budi S' })).not.toBe(base);
    expect(contactHash({ ...contact, custom_attributes: { tier: 'gold', visits: 4 } })).not.toBe(base);
    expect(contactHash({ ...contact, custom_attributes: { tier: 'gold', visits: '3' } })).not.toBe(base);
  });

  it('keeps tag order significant', () => {
    expect(contactHash({ ...contact, tags: ['reseller', 'vip'] })).not.toBe(contactHash(contact));
  });

  it('distinguishes an absent key from a null one, and treats undefined as absent', () => {
    expect(contactHash({ name: 'Budi', company: null })).not.toBe(contactHash({ name: 'Budi' }));
    expect(contactHash({ name: 'Budi', company: undefined })).toBe(contactHash({ name: 'Budi' }));
  });
});
