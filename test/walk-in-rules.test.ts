import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInCrmSchema, loadConnections } from '../src/config/index.ts';
import { createMemoryConnector } from '../src/crm/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import {
  creationRow,
  identityProbe,
  managedShape,
  matchCrm,
  nationalDigits,
  selectsWalkIn,
  walkInLockKeys,
} from '../src/sync/apply/walk-in-rules.ts';
import type { Identity } from '../src/sync/index.ts';

const MAPPING = parseMapping(
  `
fields:
  name:    { from: [first_name, last_name], owner: crm }
  phone:   { from: mobile, owner: both }
  email:   { from: email, transform: lowercase, owner: both }
  company: { from: company_name, owner: crm }
  tags:    { from: segments, transform: split, separator: ";", constant: [crm-sync], owner: both }
  custom_attributes.tier: { from: tier, owner: sahut }
  custom_attributes.source: { transform: constant, value: crm }
`,
  'yaml',
);

const budi: Identity = { phone: '+628123456789', email: 'budi@example.com' };

describe('options.createInCrm', () => {
  it('takes all, tags and defaults, and refuses both or neither', () => {
    expect(createInCrmSchema.parse('all')).toEqual({ tags: null, defaults: {} });
    expect(createInCrmSchema.parse({ tags: ['Lead'], defaults: { status: 'new', owner_id: 7 } })).toEqual({
      tags: ['lead'],
      defaults: { status: 'new', owner_id: 7 },
    });
    expect(createInCrmSchema.safeParse({ all: true, tags: ['lead'] }).success).toBe(false);
    expect(createInCrmSchema.safeParse({ defaults: {} }).success).toBe(false);
    expect(createInCrmSchema.safeParse('lead').success).toBe(false);
  });

  it('is refused where it cannot work, naming the setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sahut-sync-walkin-'));
    const load = (connection: string, mapping = 'fields:\n  phone: { from: mobile, owner: both }\n') => {
      writeFileSync(join(dir, 'mapping.yaml'), mapping);
      writeFileSync(join(dir, 'c.yaml'), `connections:\n  crm:\n${connection}`);
      try {
        loadConnections(join(dir, 'c.yaml'));
        return 'loaded';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const pgSource = '    source: { type: postgres, table: contacts }\n    mapping: mapping.yaml\n';
    try {
      expect(
        load(`${pgSource}    directions: [crm-to-sahut, sahut-to-crm]\n    options: { createInCrm: all }\n`),
      ).toBe('loaded');
      expect(load(`${pgSource}    options: { createInCrm: all }\n`)).toMatch(
        /connections\.crm\.options\.createInCrm: .*add sahut-to-crm to directions/,
      );
      expect(
        load(
          '    source: { type: file, path: x.csv }\n    mapping: mapping.yaml\n    directions: [sahut-to-crm]\n    options: { createInCrm: all }\n',
        ),
      ).toMatch(/a file source cannot create records/);
      expect(
        load(
          `${pgSource}    directions: [sahut-to-crm]\n    options: { createInCrm: { all: true, defaults: { updated_at: x } } }\n`,
        ),
      ).toMatch(/createInCrm\.defaults\.updated_at: the id and cursor columns/);
      expect(
        load(
          `${pgSource}    directions: [sahut-to-crm]\n    options: { createInCrm: all }\n`,
          'fields:\n  email: { from: [user, domain], separator: "@" }\n',
        ),
      ).toMatch(/map email from exactly one column/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('selects contacts by any of its tags, in any case', () => {
    const option = createInCrmSchema.parse({ tags: ['lead', 'vip'] });
    expect(selectsWalkIn(option, ['Lead '])).toBe(true);
    expect(selectsWalkIn(option, ['other', 'VIP'])).toBe(true);
    expect(selectsWalkIn(option, ['leads'])).toBe(false);
    expect(selectsWalkIn(createInCrmSchema.parse('all'), [])).toBe(true);
    expect(selectsWalkIn(undefined, ['lead'])).toBe(false);
  });
});

describe('creationRow', () => {
  it('fills every column one field holds, leaves concat and constants to the defaults', () => {
    const contact = {
      ...managedShape(MAPPING),
      name: 'Budi Santoso',
      phone: '+628123456789',
      email: 'budi@example.com',
      company: 'PT Maju',
      tags: ['lead', 'crm-sync'],
      custom_attributes: { tier: 'gold', source: 'crm' },
    };
    const { columns, diff } = creationRow(MAPPING, contact, { status: 'new', company_name: 'unknown' });
    expect(columns).toEqual({
      status: 'new',
      mobile: '+628123456789',
      email: 'budi@example.com',
      segments: 'lead',
      tier: 'gold',
      // CRM-owned, but a new record has no CRM value to keep.
      company_name: 'PT Maju',
    });
    expect(Object.keys(diff).sort()).toEqual(['company', 'custom_attributes.tier', 'email', 'phone', 'tags']);
    expect(diff.phone).toEqual({ before: null, after: '+628123456789' });
  });

  it('keeps a default where the contact has no value', () => {
    const contact = { ...managedShape(MAPPING), phone: '+628123456789' };
    expect(creationRow(MAPPING, contact, { company_name: 'unknown', segments: '' }).columns).toEqual({
      company_name: 'unknown',
      segments: '',
      mobile: '+628123456789',
    });
  });
});

describe('identity lookups', () => {
  it('looks for the national digits in the phone columns and the address in the email column', () => {
    expect(identityProbe(MAPPING, budi, 20)).toEqual({
      limit: 20,
      phone: { columns: ['mobile'], digits: '8123456789' },
      email: { column: 'email', address: 'budi@example.com' },
    });
    expect(identityProbe(MAPPING, { phone: null, email: null }, 20)).toBeNull();
    expect(nationalDigits('+390612345678')).toBe('0612345678');
  });

  it('finds a phone however the row writes it, and an email in any case (memory connector)', async () => {
    const crm = createMemoryConnector([
      { id: 'a', data: { mobile: '0812-3456-789' } },
      { id: 'b', data: { mobile: '+62 812 3456 789 ext. 12' } },
      { id: 'c', data: { email: ' Budi@Example.COM ' } },
      { id: 'd', data: { mobile: '0812-3456-780', email: 'budi@example.co' } },
    ]);
    const found = await crm.findByIdentity(identityProbe(MAPPING, budi, 20) as never);
    expect(found.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('locks each identity per connection and for the whole deployment', () => {
    expect(walkInLockKeys('crm', budi).sort()).toEqual([
      '@walk-in:email:budi@example.com',
      '@walk-in:phone:+628123456789',
      'crm:email:budi@example.com',
      'crm:phone:+628123456789',
    ]);
  });
});

describe('matchCrm', () => {
  const opts = { sahutId: 'ct_W', truncated: false };
  const row = (crmId: string, over: Partial<Identity> = {}, linkedTo: string | null = null) => ({
    crmId,
    phone: null,
    email: null,
    linkedTo,
    ...over,
  });

  it('is none, one, or ambiguous with every candidate named', () => {
    expect(matchCrm(budi, [row('x', { phone: '+628123456780' })], opts)).toEqual({ kind: 'none' });
    expect(matchCrm(budi, [row('a', { phone: budi.phone }), row('a', { email: budi.email })], opts)).toEqual({
      kind: 'one',
      crmId: 'a',
    });
    expect(matchCrm(budi, [row('b', { phone: budi.phone }), row('a', { phone: budi.phone })], opts)).toEqual({
      kind: 'ambiguous',
      candidateIds: ['a', 'b'],
      reason: 'phone +628123456789 matches CRM records a, b',
    });
    const split = matchCrm(budi, [row('a', { phone: budi.phone }), row('b', { email: budi.email })], opts);
    expect(split).toMatchObject({ kind: 'ambiguous', candidateIds: ['a', 'b'] });
  });

  it('will not link a record another contact holds, nor guess past the lookup limit', () => {
    const taken = matchCrm(budi, [row('a', { phone: budi.phone }, 'ct_OTHER')], opts);
    expect(taken).toMatchObject({ kind: 'ambiguous', candidateIds: ['a'] });
    expect(taken.kind === 'ambiguous' && taken.reason).toMatch(/linked to Sahut contact ct_OTHER/);
    expect(matchCrm(budi, [row('a', { phone: budi.phone }, 'ct_W')], opts)).toEqual({
      kind: 'one',
      crmId: 'a',
    });
    expect(matchCrm(budi, [], { ...opts, truncated: true })).toMatchObject({ kind: 'ambiguous' });
  });
});
