import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ColumnFacts, SampleRow, SourceFacts } from '../src/crm/index.ts';
import {
  connectionsYaml,
  type Guess,
  type GuessInput,
  guessConnection,
  mappingYaml,
  unknownColumns,
} from '../src/init/index.ts';
import { parseMapping } from '../src/mapping/index.ts';

const TEMPORAL = new Set(['timestamptz', 'datetime']);

/** A table's facts: `columns` as name:type (text unless said), `rows` as sampled. */
function table(columns: string[], rows: SampleRow[], more: Partial<SourceFacts> = {}): SourceFacts {
  const facts: ColumnFacts[] = columns.map((c) => {
    const [name = '', type = 'text'] = c.split(':');
    return { name, type, temporal: TEMPORAL.has(type) };
  });
  return {
    label: 'public.t',
    namespace: 'public',
    relation: 'table',
    columns: facts,
    primaryKey: ['id'],
    indexed: ['id'],
    sample: rows,
    ...more,
  };
}

const guess = (facts: SourceFacts, more: Partial<GuessInput> = {}): Guess =>
  guessConnection({ facts, needsCursor: facts.relation !== 'file', region: 'ID', ...more });

/** field → its columns, as a person reads the mapping. */
const fieldsOf = (g: Guess) => Object.fromEntries(g.fields.map((f) => [f.key, f.from.join('+')]));

const rows = (n: number, row: (i: number) => SampleRow) => Array.from({ length: n }, (_, i) => row(i));

describe('guessing a connection from a table', () => {
  it('reads English names, picks the mobile over the landline, and the last-change time as cursor', () => {
    const facts = table(
      [
        'id:integer',
        'first_name',
        'last_name',
        'phone',
        'mobile',
        'Email',
        'company_name',
        'tags',
        'created_at:timestamptz',
        'updatedAt:timestamptz',
        'notes',
      ],
      rows(10, (i) => ({
        id: String(i),
        first_name: 'Budi',
        last_name: 'Santoso',
        phone: `021-555-${1000 + i}`,
        mobile: `+62 812 3456 ${1000 + i}`,
        Email: `b${i}@example.com`,
        tags: 'vip, reseller',
      })),
      { indexed: ['id', 'updatedAt'] },
    );
    const g = guess(facts);
    expect(fieldsOf(g)).toEqual({
      email: 'Email',
      phone: 'mobile',
      name: 'first_name+last_name',
      company: 'company_name',
      tags: 'tags',
    });
    expect(g.fields.find((f) => f.key === 'name')).toMatchObject({ transform: 'concat', separator: ' ' });
    expect(g.fields.find((f) => f.key === 'tags')).toMatchObject({ transform: 'split', separator: ',' });
    expect(g.id).toMatchObject({ column: 'id', why: 'primary key', sure: true });
    expect(g.cursor).toMatchObject({ column: 'updatedAt', indexed: true, sure: true });
    expect(g.unmapped).toEqual(['phone', 'created_at', 'notes']);
    expect(g.checks).toEqual([
      expect.stringMatching(/^phone also looks like a phone; .* --field phone=<column>$/),
    ]);
    expect(g.missing).toEqual([]);
  });

  it('reads Indonesian names, split names included, and says when the cursor has no index', () => {
    const facts = table(
      [
        'id:integer',
        'nama_depan',
        'nama_belakang',
        'no_hp',
        'telepon',
        'surel',
        'perusahaan',
        'label',
        'kota',
        'diperbarui_pada:timestamptz',
      ],
      rows(5, (i) => ({
        id: String(i),
        no_hp: `0812-3456-${1000 + i}`,
        surel: `p${i}@contoh.co.id`,
        label: 'vip;grosir',
      })),
    );
    const g = guess(facts);
    expect(fieldsOf(g)).toEqual({
      email: 'surel',
      phone: 'no_hp',
      name: 'nama_depan+nama_belakang',
      company: 'perusahaan',
      tags: 'label',
    });
    expect(g.fields.find((f) => f.key === 'tags')?.separator).toBe(';');
    expect(g.cursor).toMatchObject({ column: 'diperbarui_pada', indexed: false });
    // telepon has no sampled values: named like a phone, it is still a candidate, but no_hp ranks higher.
    expect(g.checks).toEqual([expect.stringMatching(/^telepon also looks like a phone/)]);
    expect(g.unmapped).toEqual(['telepon', 'kota']);
  });

  it.each([
    ['hp', 'nama', 'email', 'updated_at'],
    ['whatsapp', 'nama_lengkap', 'email_address', 'modified_at'],
    ['wa', 'full_name', 'alamat_email', 'tgl_update'],
    ['noHp', 'NamaPelanggan', 'Surel', 'diubah_pada'],
    ['customer_phone', 'customer_name', 'contact_email', 'last_change_at'],
  ])('maps %s, %s, %s and %s', (phone, name, email, cursor) => {
    const facts = table(
      ['id', phone, name, email, `${cursor}:timestamptz`],
      rows(4, (i) => ({ id: String(i), [phone]: `08123456${7000 + i}`, [email]: `x${i}@example.com` })),
    );
    const g = guess(facts);
    expect(fieldsOf(g)).toEqual({ email, phone, name });
    expect(g.cursor?.column).toBe(cursor);
    expect(g.missing).toEqual([]);
  });

  it('does not take a column named like an email whose values are something else', () => {
    const facts = table(
      ['id', 'name', 'email_verified', 'email', 'updated_at:timestamptz'],
      rows(6, (i) => ({ id: String(i), email_verified: 'true', email: `e${i}@example.com` })),
    );
    const g = guess(facts);
    expect(fieldsOf(g).email).toBe('email');
    expect(g.unmapped).toContain('email_verified');
    expect(g.checks).toEqual([]);
  });

  it('finds phones and emails by their values when names say nothing, and marks them to check', () => {
    const facts = table(
      ['id', 'kolom1', 'kolom2', 'kolom3', 'kolom4', 'ts:timestamptz'],
      rows(8, (i) => ({
        id: String(i),
        kolom1: `Orang ${i}`,
        kolom2: i === 0 ? 'tidak ada' : `+62 813 1111 ${2000 + i}`,
        kolom3: `orang${i}@example.co.id`,
        kolom4: String(1000 + i),
      })),
    );
    const g = guess(facts, { fields: { name: ['kolom1'] }, cursorColumn: 'ts' });
    expect(fieldsOf(g)).toEqual({ name: 'kolom1', email: 'kolom3', phone: 'kolom2' });
    expect(g.fields.find((f) => f.key === 'phone')).toMatchObject({
      sure: false,
      why: 'its values: 7 of 8 sampled values are valid phones',
    });
    expect(g.fields.find((f) => f.key === 'name')).toMatchObject({ why: 'given with --field', sure: true });
    expect(g.unmapped).toEqual(['kolom4']);
  });

  it('says what it cannot tell, and which flag settles it, when names and values say nothing', () => {
    const facts = table(
      ['kode', 'c1', 'c2', 'dibuat_pada:timestamptz'],
      rows(5, (i) => ({ kode: `K${i}`, c1: 'abc', c2: String(i) })),
      { primaryKey: ['kode', 'c1'] },
    );
    const g = guess(facts);
    expect(g.fields).toEqual([]);
    expect(g.missing.map((m) => m.flag)).toEqual([
      '--id-column <column>',
      '--cursor-column <column>',
      '--field name=<column> (or --field name=<first>,<last>)',
      '--field phone=<column> and/or --field email=<column>',
    ]);
    expect(g.missing[0]?.why).toMatch(/primary key has 2 columns \(kode, c1\)/);
    expect(g.missing[1]?.why).toMatch(/dibuat_pada\): a creation time misses edits/);
  });

  it('takes flags as given, and names flag columns the table lacks', () => {
    const facts = table(['id', 'a', 'b', 'changed:timestamptz'], []);
    const input = {
      fields: { phone: ['a'], 'custom_attributes.tier': ['b'], name: ['x', 'a'] },
      cursorColumn: 'nope',
    };
    expect(unknownColumns({ facts, needsCursor: true, region: 'ID', ...input })).toEqual(['x', 'nope']);
    const g = guess(facts, { fields: { phone: ['a'], 'custom_attributes.tier': ['b'] }, idColumn: 'a' });
    expect(fieldsOf(g)).toEqual({ phone: 'a', 'custom_attributes.tier': 'b' });
    expect(g.id).toMatchObject({ column: 'a', sure: true });
    expect(g.missing.map((m) => m.what)).toEqual(['the name']);
  });

  it('finds the id of a file or a view by name and uniqueness, and needs no cursor for a file', () => {
    const file = table(
      ['Customer ID', 'name', 'email'],
      rows(3, (i) => ({ 'Customer ID': `C${i}`, email: `c${i}@x.io` })),
      {
        relation: 'file',
        primaryKey: [],
        indexed: null,
      },
    );
    const g = guess(file);
    expect(g.id).toMatchObject({ column: 'Customer ID', sure: true });
    expect(g.cursor).toBeNull();
    expect(g.missing).toEqual([]);

    const view = table(
      ['Customer ID', 'name', 'email', 'changed_at:timestamptz'],
      [{ 'Customer ID': 'C1' }, { 'Customer ID': 'C1' }],
      {
        relation: 'view',
        primaryKey: [],
        indexed: null,
      },
    );
    const fromView = guess(view);
    expect(fromView.missing.map((m) => m.what)).toEqual(['the id column']);
    expect(fromView.cursor).toMatchObject({ column: 'changed_at', indexed: null, sure: false });
  });
});

describe('the files init writes', () => {
  const facts = table(
    ['id', 'nama', 'no_hp', 'label', 'kota', 'updated_at:timestamptz'],
    rows(3, (i) => ({ id: String(i), no_hp: `0812345678${i}`, label: 'a;b' })),
  );
  const g = guess(facts);

  it('a mapping the loader accepts, each line saying why', () => {
    const text = mappingYaml(g, 'public.t');
    expect(parseMapping(text, 'yaml').fields.map((f) => [f.key, f.from, f.transform, f.owner])).toEqual([
      ['phone', ['no_hp'], 'trim', 'crm'],
      ['name', ['nama'], 'trim', 'crm'],
      ['tags', ['label'], 'split', 'crm'],
    ]);
    expect(text).toMatch(
      /# named like a phone; 3 of 3 sampled values are valid phones\n {2}phone: \{ from: no_hp, owner: crm \}/,
    );
    expect(text).toMatch(/# Not read: kota\./);
  });

  it('a connections file, new or added to, keeping what was there', () => {
    const entry = {
      source: {
        type: 'postgres',
        url: `postgres://u:\${CRM_DB_PASSWORD}@db/crm`,
        schema: 'public',
        table: 't',
        idColumn: 'id',
        cursorColumn: 'updated_at',
      },
      mapping: 't.mapping.yaml',
    };
    const fresh = parse(connectionsYaml(null, 't', entry, 'public.t')) as {
      connections: Record<string, unknown>;
    };
    expect(fresh.connections.t).toEqual({ ...entry, directions: ['crm-to-sahut'] });

    const existing =
      '# ours\nconnections:\n  demo: # the demo\n    source: { type: file, path: d.csv }\n    mapping: m.yaml\n';
    const added = connectionsYaml({ path: 'c.yaml', text: existing }, 't', entry, 'public.t');
    expect(added.startsWith('# ours\nconnections:\n  demo:')).toBe(true);
    expect(added).toContain('# the demo');
    expect(Object.keys((parse(added) as { connections: object }).connections)).toEqual(['demo', 't']);
    expect(() => connectionsYaml({ path: 'c.yaml', text: 'connections: [' }, 't', entry, 'x')).toThrow(
      /Cannot add a connection to c.yaml: it is not valid YAML/,
    );
  });
});
