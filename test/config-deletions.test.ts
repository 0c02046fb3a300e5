import { describe, expect, it } from 'vitest';
import { connectionsFileSchema, syncOptionsSchema } from '../src/config/index.ts';
import { parseMapping } from '../src/mapping/index.ts';
import type { SahutContact } from '../src/sahut/types.ts';
import { crmDeletePatch, guardLimit, guardTrips } from '../src/sync/removal.ts';

const connection = (source: Record<string, unknown>, options: Record<string, unknown>) => ({
  connections: { crm: { source, mapping: 'mapping.yaml', options } },
});
const issues = (raw: unknown) =>
  (connectionsFileSchema.safeParse(raw).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('deletion options', () => {
  it('default to tag, flag, never and the larger of 5 % and 50', () => {
    const o = syncOptionsSchema.parse({});
    expect(o).toMatchObject({
      onCrmDelete: 'tag',
      crmDeletedTag: 'crm-deleted',
      onSahutDelete: 'flag',
      deleteInCrm: 'never',
    });
    expect(o.deleteGuard).toBeUndefined();
    expect([0, 100, 1000, 1001, 20_000].map((links) => guardLimit(undefined, links))).toEqual([
      50, 50, 50, 50, 1000,
    ]);
  });

  it('take a guard as a number of removals or a share of the links, and refuse anything else', () => {
    expect(guardLimit(syncOptionsSchema.parse({ deleteGuard: 3 }).deleteGuard, 1000)).toBe(3);
    expect(guardLimit(syncOptionsSchema.parse({ deleteGuard: '10%' }).deleteGuard, 1000)).toBe(100);
    expect(guardLimit(syncOptionsSchema.parse({ deleteGuard: '0.5%' }).deleteGuard, 1000)).toBe(5);
    for (const bad of ['10', 'ten%', -1, '%'])
      expect(syncOptionsSchema.safeParse({ deleteGuard: bad }).success, String(bad)).toBe(false);
  });

  it('trip above the limit unless a person allowed at least as many', () => {
    expect(guardTrips(50, 50, undefined)).toBe(false);
    expect(guardTrips(51, 50, undefined)).toBe(true);
    expect(guardTrips(51, 50, 50)).toBe(true);
    expect(guardTrips(51, 50, 51)).toBe(false);
  });

  it('refuse deleteInCrm soft without a soft-delete column on a database source', () => {
    const pg = { type: 'postgres', table: 'contacts' };
    expect(issues(connection(pg, { deleteInCrm: 'soft' }))).toEqual([
      'connections.crm.options.deleteInCrm: soft needs source.deletedColumn on a postgres or mysql source',
    ]);
    expect(
      issues(connection({ type: 'file', path: 'a.csv', fullExport: true }, { deleteInCrm: 'soft' })),
    ).toHaveLength(1);
    expect(issues(connection({ ...pg, deletedColumn: 'deleted_at' }, { deleteInCrm: 'soft' }))).toEqual([]);
    expect(issues(connection(pg, { onCrmDelete: 'erase' }))[0]).toMatch(
      /^connections\.crm\.options\.onCrmDelete/,
    );
  });
});

describe('what a CRM deletion writes to its contact (crmDeletePatch)', () => {
  const mapping = parseMapping(
    `
fields:
  name:    { from: name }
  phone:   { from: phone }
  email:   { from: email, owner: both }
  company: { from: company }
  tags:    { from: tags, transform: split, constant: [crm-sync] }
  custom_attributes.tier: { from: tier }
  custom_attributes.note: { from: note, owner: sahut }
`,
    'yaml',
  );
  const contact: SahutContact = {
    id: 'ct_1',
    name: 'Budi',
    phone: '+628123456789',
    email: 'budi@example.com',
    company: 'PT Contoh',
    tags: ['vip', 'crm-sync'],
    custom_attributes: { tier: 'gold', note: 'agent note' },
    created_at: '2026-01-01T00:00:00Z',
  };

  it('keep writes nothing; tag swaps the constant tags for the marker, once', () => {
    expect(crmDeletePatch('keep', contact, mapping, 'crm-deleted')).toBeNull();
    const tagged = crmDeletePatch('tag', contact, mapping, 'crm-deleted');
    expect(tagged).toEqual({
      patch: { tags: ['vip', 'crm-deleted'] },
      diff: { tags: { before: ['vip', 'crm-sync'], after: ['vip', 'crm-deleted'] } },
    });
    expect(
      crmDeletePatch('tag', { ...contact, tags: ['vip', 'crm-deleted'] }, mapping, 'crm-deleted'),
    ).toBeNull();
  });

  it('clear empties the crm-owned fields but the name, and leaves both- and sahut-owned ones', () => {
    expect(crmDeletePatch('clear', contact, mapping, 'crm-deleted')).toEqual({
      patch: { phone: null, company: null, tags: [], custom_attributes: { tier: null } },
      diff: {
        phone: { before: '+628123456789', after: null },
        company: { before: 'PT Contoh', after: null },
        tags: { before: ['vip', 'crm-sync'], after: [] },
        'custom_attributes.tier': { before: 'gold', after: null },
      },
    });
    const empty = { ...contact, phone: null, company: null, tags: [], custom_attributes: { note: 'x' } };
    expect(crmDeletePatch('clear', empty, mapping, 'crm-deleted')).toBeNull();
  });
});
