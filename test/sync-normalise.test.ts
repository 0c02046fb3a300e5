import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/domain/index.ts';
import { normaliseContact, normaliseEmail, normalisePhone } from '../src/sync/index.ts';

const reject = { defaultRegion: 'ID', invalidPhone: 'reject' } as const;
const drop = { defaultRegion: 'ID', invalidPhone: 'drop', invalidEmail: 'drop' } as const;

function ok(contact: Contact, opts: Parameters<typeof normaliseContact>[1] = reject) {
  const result = normaliseContact(contact, opts);
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result;
}

describe('normalisePhone', () => {
  it.each([
    '0812-3456-789',
    '62812 3456 789',
    '+62 812-3456-789',
    '(0812) 3456789',
    '0812 3456 789',
    '+628123456789',
    '62-812-3456-789',
    '620812-3456-789',
    '(62) 812 3456 789',
  ])('reads Indonesian %j as +628123456789', (raw) => {
    expect(normalisePhone(raw, 'ID')).toBe('+628123456789');
  });

  it.each([
    ['+1 650 253 0000', '+16502530000'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+62 21 5555 1234', '+622155551234'],
  ])('reads international %j with any default region', (raw, e164) => {
    expect(normalisePhone(raw, 'ID')).toBe(e164);
    expect(normalisePhone(raw, 'GB')).toBe(e164);
  });

  it('reads national numbers in the given region', () => {
    expect(normalisePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(normalisePhone('(650) 253-0000', 'US')).toBe('+16502530000');
  });

  it('reads digits with a calling code but no + as international only for that code', () => {
    // 44… under ID is neither a valid national number nor starts with 62.
    expect(normalisePhone('44 20 7946 0958', 'ID')).toBeNull();
    expect(normalisePhone('44 20 7946 0958', 'GB')).toBe('+442079460958');
  });

  it.each(['12345', 'abc', '0812345', '081234567890123', '+999 123'])(
    'returns null for invalid %j',
    (raw) => {
      expect(normalisePhone(raw, 'ID')).toBeNull();
    },
  );

  it('returns null for empty input', () => {
    expect(normalisePhone('', 'ID')).toBeNull();
    expect(normalisePhone('   ', 'ID')).toBeNull();
    expect(normalisePhone(null, 'ID')).toBeNull();
    expect(normalisePhone(undefined, 'ID')).toBeNull();
  });

  it('without a region reads only international numbers', () => {
    expect(normalisePhone('+62 812-3456-789', undefined)).toBe('+628123456789');
    expect(normalisePhone('0812-3456-789', undefined)).toBeNull();
  });

  it('accepts a lower-case region and refuses an unknown one', () => {
    expect(normalisePhone('0812-3456-789', 'id')).toBe('+628123456789');
    expect(() => normalisePhone('0812-3456-789', 'XX')).toThrow(/unknown phone region "XX"/);
  });
});

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Budi@Example.COM ')).toBe('budi@example.com');
    expect(normaliseEmail('budi+tag@example.co.id')).toBe('budi+tag@example.co.id');
  });
  it.each(['budi@', '@example.com', 'budi example.com', 'a@b', 'x y@z.com'])(
    'returns null for invalid %j',
    (raw) => {
      expect(normaliseEmail(raw)).toBeNull();
    },
  );
  it('returns null for empty input', () => {
    expect(normaliseEmail('  ')).toBeNull();
    expect(normaliseEmail(null)).toBeNull();
  });
});

describe('normaliseContact', () => {
  it('normalises every field', () => {
    const { contact, warnings } = ok({
      name: '  Budi   Santoso ',
      phone: '0812-3456-789',
      email: '  Budi@Example.COM ',
      company: ' PT  Contoh\tIndonesia ',
      tags: [' vip', 'vip', '', 'reseller '],
      custom_attributes: { customer_tier: ' gold ', visits: 3, active: true, note: null },
    });
    expect(contact).toEqual({
      name: 'Budi   Santoso',
      phone: '+628123456789',
      email: 'budi@example.com',
      company: 'PT  Contoh\tIndonesia',
      tags: ['vip', 'reseller'],
      custom_attributes: { customer_tier: 'gold', visits: 3, active: true, note: null },
    });
    expect(warnings).toEqual([]);
  });

  it('keeps names and companies as written: only trimmed, inner spaces and U+FEFF kept', () => {
    const { contact } = ok({ name: '\uFEFFBudi  Santoso\n', company: 'PT\u00A0Contoh\uFEFFJaya ' });
    expect(contact).toEqual({ name: 'Budi  Santoso', company: 'PT\u00A0Contoh\uFEFFJaya' });
  });

  it('keeps tags case-sensitive and in first-occurrence order', () => {
    expect(ok({ tags: ['b', 'VIP', 'a', 'vip', ' b ', 'a'] }).contact.tags).toEqual(['b', 'VIP', 'a', 'vip']);
  });

  it('turns empty values into null and keeps absent keys absent', () => {
    const { contact } = ok({ name: '   ', phone: '', email: ' ', company: null });
    expect(contact).toEqual({ name: null, phone: null, email: null, company: null });
    expect(Object.keys(ok({ name: 'Budi' }).contact)).toEqual(['name']);
  });

  it('rejects an invalid phone with a reason naming only the value', () => {
    const result = normaliseContact({ name: 'Budi', phone: '12345', email: 'budi@example.com' }, reject);
    expect(result).toEqual({ ok: false, reason: 'invalid phone "12345": not a valid number for region ID' });
  });

  it('rejects an invalid email by default', () => {
    const result = normaliseContact({ name: 'Budi', email: 'budi@' }, reject);
    expect(result).toEqual({ ok: false, reason: 'invalid email "budi@": not a valid email address' });
  });

  it('with drop, nulls the bad fields and warns', () => {
    const { contact, warnings } = ok({ name: 'Budi', phone: 'abc', email: 'budi@' }, drop);
    expect(contact).toEqual({ name: 'Budi', phone: null, email: null });
    expect(warnings).toEqual([
      'dropped invalid phone "abc": not a valid number for region ID',
      'dropped invalid email "budi@": not a valid email address',
    ]);
  });

  it('applies the phone and email policies separately', () => {
    const result = normaliseContact({ phone: 'abc', email: 'budi@' }, { ...drop, invalidEmail: 'reject' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^invalid email/);
  });

  it('truncates a huge offending value in the reason', () => {
    const result = normaliseContact({ phone: 'x'.repeat(500) }, reject);
    expect(!result.ok && result.reason.length).toBeLessThan(140);
  });

  it('warns when a phone extension is dropped', () => {
    const { contact, warnings } = ok({ phone: '0812-3456-789 ext. 12' });
    expect(contact.phone).toBe('+628123456789');
    expect(warnings).toEqual(['dropped extension "12" of phone +628123456789: E.164 has no extensions']);
  });

  it('is idempotent', () => {
    const once = ok({ name: ' a  b ', phone: '62812 3456 789', email: 'A@B.co', tags: ['x ', 'x'] }).contact;
    expect(ok(once).contact).toEqual(once);
  });

  it('does not modify its input', () => {
    const input: Contact = { name: ' Budi ', tags: [' vip'], custom_attributes: { tier: ' gold ' } };
    const copy = structuredClone(input);
    ok(input);
    expect(input).toEqual(copy);
  });
});
