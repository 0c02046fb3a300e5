import { describe, expect, it } from 'vitest';
import { identityKeys, lockKeys } from '../src/sync/index.ts';

describe('identityKeys', () => {
  it('takes phone and email, absent or empty as null', () => {
    expect(identityKeys({ phone: '+628123456789', email: 'a@b.co' })).toEqual({
      phone: '+628123456789',
      email: 'a@b.co',
    });
    expect(identityKeys({})).toEqual({ phone: null, email: null });
    expect(identityKeys({ phone: null, email: 'a@b.co' })).toEqual({ phone: null, email: 'a@b.co' });
  });
});

describe('lockKeys', () => {
  it('returns sorted, scoped keys for each identity key', () => {
    expect(lockKeys('shop', { phone: '+628123456789', email: 'a@b.co' })).toEqual([
      'shop:email:a@b.co',
      'shop:phone:+628123456789',
    ]);
  });
  it('omits missing keys', () => {
    expect(lockKeys('shop', { phone: '+628123456789', email: null })).toEqual(['shop:phone:+628123456789']);
    expect(lockKeys('shop', { name: 'Budi' } as { phone?: string })).toEqual([]);
  });
  it('differs between scopes', () => {
    expect(lockKeys('a', { email: 'x@y.co' })).not.toEqual(lockKeys('b', { email: 'x@y.co' }));
  });
});
