import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadMapping,
  MappingError,
  mappedFields,
  ownerOf,
  parseMapping,
  sourceColumns,
} from '../src/mapping/index.ts';
import { HUBSPOT_PROPERTY } from './helpers/chaos/crm-hubspot.ts';

const example = new URL('../config/mapping.example.yaml', import.meta.url).pathname;

function issuesOf(fields: unknown): string[] {
  try {
    parseMapping(JSON.stringify({ fields }), 'json');
  } catch (err) {
    expect(err).toBeInstanceOf(MappingError);
    return (err as MappingError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the mapping to be refused');
}

describe('the example mapping', () => {
  it('parses, with every default applied', () => {
    const mapping = loadMapping(example);
    expect(mappedFields(mapping)).toEqual([
      'name',
      'phone',
      'email',
      'company',
      'tags',
      'custom_attributes.customer_tier',
    ]);
    expect(sourceColumns(mapping)).toEqual([
      'first_name',
      'last_name',
      'mobile',
      'email',
      'company_name',
      'segments',
      'tier',
    ]);
    expect(mapping.fields.find((f) => f.key === 'tags')).toEqual({
      key: 'tags',
      from: ['segments'],
      transform: 'split',
      separator: ';',
      constant: ['crm-sync'],
      value: null,
      owner: 'both',
    });
    expect(mapping.fields.find((f) => f.key === 'phone')).toMatchObject({ transform: 'trim', owner: 'both' });
  });

  it('tells who owns each field', () => {
    const mapping = loadMapping(example);
    expect(ownerOf(mapping, 'name')).toBe('crm');
    expect(ownerOf(mapping, 'email')).toBe('both');
    expect(ownerOf(mapping, 'custom_attributes.customer_tier')).toBe('sahut');
    expect(() => ownerOf(mapping, 'custom_attributes.other')).toThrow(
      /does not manage the field custom_attributes.other/,
    );
  });

  it("has a HubSpot twin: the same fields, transforms and owners in HubSpot's property names", () => {
    const hubspot = loadMapping(new URL('../config/mapping.hubspot.example.yaml', import.meta.url).pathname);
    const property: Record<string, string> = HUBSPOT_PROPERTY;
    const renamed = loadMapping(example).fields.map((f) => ({
      ...f,
      from: f.from.map((c) => property[c] ?? c),
    }));
    expect(hubspot.fields).toEqual(renamed);
  });
});

describe('parseMapping', () => {
  it('reads JSON and YAML alike, and files by extension', async () => {
    const yaml = parseMapping('fields:\n  email: { from: Email, transform: lowercase }\n', 'yaml');
    const json = parseMapping('{"fields":{"email":{"from":"Email","transform":"lowercase"}}}', 'json');
    expect(json).toEqual(yaml);
    const dir = await mkdtemp(join(tmpdir(), 'mapping-'));
    try {
      await writeFile(join(dir, 'm.json'), '{"fields":{"email":{"from":"Email","transform":"lowercase"}}}');
      expect(loadMapping(join(dir, 'm.json'))).toEqual(yaml);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('applies defaults: owner crm, trim, concat for lists, constant for a value', () => {
    const mapping = parseMapping(
      JSON.stringify({
        fields: { name: { from: ['a', 'b'] }, company: { value: 'ACME' }, tags: { constant: ['x'] } },
      }),
      'json',
    );
    expect(mapping.fields.map((f) => [f.key, f.transform, f.separator, f.owner])).toEqual([
      ['name', 'concat', ' ', 'crm'],
      ['company', 'constant', '', 'crm'],
      ['tags', 'split', ',', 'crm'],
    ]);
  });

  it('names the path of a wrong type, an unknown key and an unknown value', () => {
    expect(issuesOf({ tags: { from: 'segments', separator: 5 } })).toEqual([
      'fields.tags.separator: expected string',
    ]);
    expect(issuesOf({ email: { from: 'e', colour: 'red' } })).toEqual(['fields.email: unknown key "colour"']);
    expect(issuesOf({ email: { from: 'e', owner: 'nobody' } })).toEqual([
      'fields.email.owner: expected one of crm, sahut, both',
    ]);
    expect(issuesOf({ email: { from: 3 } })).toEqual([
      'fields.email.from: expected a column name or a list of column names',
    ]);
    expect(issuesOf({ nickname: { from: 'n' } })).toEqual([
      'fields.nickname: unknown Sahut field: expected name, phone, email, company, tags or custom_attributes.<key>',
    ]);
    expect(issuesOf({})).toEqual(['fields: maps no field']);
  });

  it.each([
    [
      { name: { from: ['a', 'b'], owner: 'both' } },
      'fields.name.owner: a concat field cannot be written back to the CRM: use owner crm',
    ],
    [
      { company: { value: 'ACME', owner: 'sahut' } },
      'fields.company.owner: a constant cannot be written back to the CRM: use owner crm',
    ],
    [
      { tags: { constant: ['x'], owner: 'both' } },
      'fields.tags.owner: tags without from cannot be written back to the CRM: use owner crm',
    ],
    [
      { email: { from: ['a', 'b'], transform: 'lowercase' } },
      'fields.email.from: a list of columns needs transform concat',
    ],
    [
      { email: { from: 'e', transform: 'split' } },
      'fields.email.transform: split makes a list: only tags can use it',
    ],
    [
      { tags: { from: 't', transform: 'lowercase' } },
      'fields.tags.transform: tags take transform split (fixed tags go in constant)',
    ],
    [
      { email: { from: 'e', constant: ['x'] } },
      'fields.email.constant: only tags take constant tags; use transform constant with value',
    ],
    [{ email: { transform: 'constant' } }, 'fields.email.value: is required by transform constant'],
    [
      { email: { from: 'e', transform: 'constant', value: 'x' } },
      'fields.email.from: is not used by transform constant',
    ],
    [
      { email: { from: 'e', value: 'x', transform: 'trim' } },
      'fields.email.value: is only used by transform constant',
    ],
    [{ company: { value: 3 } }, 'fields.company.value: expected string'],
    [{ email: { owner: 'both' } }, 'fields.email.from: is required'],
    [
      { email: { from: 'e', separator: ';' } },
      'fields.email.separator: is only used by concat, split and join',
    ],
    [{ tags: { from: 't', separator: '' } }, 'fields.tags.separator: must not be empty'],
    [
      { phone: { from: 'mobile', owner: 'both' }, 'custom_attributes.m': { from: 'mobile', owner: 'sahut' } },
      'fields.custom_attributes.m.from: column "mobile" is already written back by fields.phone',
    ],
  ])('refuses %j', (fields, issue) => {
    expect(issuesOf(fields)).toEqual([issue]);
  });

  it('accepts a numeric constant attribute and a column shared by read-only fields', () => {
    const mapping = parseMapping(
      JSON.stringify({
        fields: {
          'custom_attributes.score': { value: 3 },
          phone: { from: 'mobile', owner: 'both' },
          'custom_attributes.raw_mobile': { from: 'mobile' },
        },
      }),
      'json',
    );
    expect(sourceColumns(mapping)).toEqual(['mobile']);
  });

  it('reports broken YAML or JSON with the source name and no stack of issues', () => {
    expect(() => parseMapping('fields: [unclosed', 'yaml', 'conf/m.yaml')).toThrow(
      /^Invalid mapping in conf\/m.yaml:\n {2}\(file\): not valid YAML/,
    );
    expect(() => parseMapping('{"fields":', 'json')).toThrow(/\(file\): not valid JSON/);
    expect(() => loadMapping('/nonexistent/m.yaml')).toThrow(
      /\/nonexistent\/m.yaml:\n {2}\(file\): cannot be read \(ENOENT\)/,
    );
    expect(() => parseMapping('', 'yaml')).toThrow(/\(file\): is empty/);
    expect(() => parseMapping('- 1', 'yaml')).toThrow(/\(root\): expected object/);
  });
});
