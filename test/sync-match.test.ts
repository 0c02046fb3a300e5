import { describe, expect, it } from 'vitest';
import type { SahutContact } from '../src/sahut/types.ts';
import { exactMatches, type Identity, matchContact } from '../src/sync/index.ts';

function ct(over: Partial<SahutContact> & { id: string }): SahutContact {
  return {
    name: 'Someone',
    phone: null,
    email: null,
    company: null,
    tags: [],
    custom_attributes: {},
    created_at: '',
    ...over,
  };
}

const opts = { defaultRegion: 'ID' };
const budi: Identity = { phone: '+628123456789', email: 'budi@example.com' };

describe('matchContact', () => {
  it('is none when there are no candidates', () => {
    expect(matchContact(budi, [], opts)).toEqual({ kind: 'none' });
  });

  it('filters out fuzzy non-matches', () => {
    const candidates = [
      ct({ id: 'ct_A', name: 'Budi Lain', phone: '+628123456788', email: 'budi@example.co' }),
      ct({ id: 'ct_B', name: 'budi@example.com fan', email: 'other@example.com' }),
      ct({ id: 'ct_C', phone: '+6281234567890' }),
    ];
    expect(matchContact(budi, candidates, opts)).toEqual({ kind: 'none' });
  });

  it('matches a phone Sahut stored in another format', () => {
    for (const stored of ['0812 3456 789', '+62 812-3456-789', '62812 3456 789', '(0812) 3456789']) {
      const target = ct({ id: 'ct_A', phone: stored });
      expect(matchContact(budi, [target], opts)).toEqual({ kind: 'one', contact: target, by: ['phone'] });
    }
  });

  it('matches an email that differs only in case and spaces', () => {
    const target = ct({ id: 'ct_A', email: ' Budi@Example.COM' });
    expect(matchContact(budi, [target], opts)).toEqual({ kind: 'one', contact: target, by: ['email'] });
  });

  it('is one, by both keys, when phone and email find the same contact (even listed twice)', () => {
    const target = ct({ id: 'ct_A', phone: '+628123456789', email: 'budi@example.com' });
    const noise = ct({ id: 'ct_Z', name: 'Budiman' });
    const result = matchContact(budi, [target, noise, { ...target }], opts);
    expect(result).toEqual({ kind: 'one', contact: target, by: ['phone', 'email'] });
  });

  it('is one when only the phone matches and the contact has another email', () => {
    const target = ct({ id: 'ct_A', phone: '0812-3456-789', email: 'old@example.com' });
    expect(matchContact(budi, [target], opts)).toMatchObject({ kind: 'one', by: ['phone'] });
  });

  it('is ambiguous when phone and email point at different contacts', () => {
    const result = matchContact(
      budi,
      [ct({ id: 'ct_B', email: 'BUDI@example.com' }), ct({ id: 'ct_A', phone: '0812 3456 789' })],
      opts,
    );
    expect(result).toMatchObject({
      kind: 'ambiguous',
      candidateIds: ['ct_A', 'ct_B'],
      reason: 'phone +628123456789 matches ct_A; email budi@example.com matches ct_B',
    });
    // The candidates themselves, for a person to compare with the record.
    expect(result.kind === 'ambiguous' && result.contacts.map((c) => [c.id, c.email])).toEqual([
      ['ct_A', null],
      ['ct_B', 'BUDI@example.com'],
    ]);
  });

  it('is ambiguous when several contacts share the phone', () => {
    const result = matchContact(
      { phone: '+628123456789', email: null },
      [ct({ id: 'ct_2', phone: '+628123456789' }), ct({ id: 'ct_1', phone: '08123456789' })],
      opts,
    );
    expect(result).toMatchObject({
      kind: 'ambiguous',
      candidateIds: ['ct_1', 'ct_2'],
      reason: 'phone +628123456789 matches ct_1, ct_2',
    });
  });

  it('is ambiguous when several contacts share the email, even if the phone picks one', () => {
    const result = matchContact(
      budi,
      [
        ct({ id: 'ct_A', phone: '+628123456789', email: 'budi@example.com' }),
        ct({ id: 'ct_B', email: 'budi@example.com' }),
      ],
      opts,
    );
    expect(result).toMatchObject({ kind: 'ambiguous', candidateIds: ['ct_A', 'ct_B'] });
    expect(result.kind === 'ambiguous' && result.reason).toBe(
      'phone +628123456789 matches ct_A; email budi@example.com matches ct_A, ct_B',
    );
  });

  it('is none for a record with neither phone nor email', () => {
    const candidates = [ct({ id: 'ct_A' }), ct({ id: 'ct_B', phone: '+628123456789' })];
    expect(matchContact({ phone: null, email: null }, candidates, opts)).toEqual({ kind: 'none' });
  });

  it('never matches on a stored phone or email that is invalid', () => {
    const candidates = [ct({ id: 'ct_A', phone: 'abc', email: 'budi@' })];
    expect(matchContact({ phone: null, email: null }, candidates, opts)).toEqual({ kind: 'none' });
    expect(matchContact(budi, candidates, opts)).toEqual({ kind: 'none' });
  });
});

describe('exactMatches', () => {
  it('lists each contact once per key', () => {
    const a = ct({ id: 'ct_A', phone: '0812 3456 789', email: 'budi@example.com' });
    const { byPhone, byEmail } = exactMatches(budi, [a, a, ct({ id: 'ct_B' })], opts);
    expect(byPhone.map((c) => c.id)).toEqual(['ct_A']);
    expect(byEmail.map((c) => c.id)).toEqual(['ct_A']);
  });
});
