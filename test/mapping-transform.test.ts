import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/domain/index.ts';
import { contactToCrm, crmToContact, type Mapping, parseMapping } from '../src/mapping/index.ts';

const mappingOf = (fields: Record<string, unknown>): Mapping =>
  parseMapping(JSON.stringify({ fields }), 'json');

describe('crmToContact', () => {
  it('concatenates the non-empty parts with the separator', () => {
    const m = mappingOf({ name: { from: ['first', 'middle', 'last'], separator: ' ' } });
    expect(crmToContact(m, { first: ' Budi ', middle: '', last: 'Santoso' })).toEqual({
      name: 'Budi Santoso',
    });
    expect(crmToContact(m, { first: 'Ann', middle: null, last: 42 })).toEqual({ name: 'Ann 42' });
    expect(crmToContact(m, { first: ' ', middle: null })).toEqual({ name: null });
  });

  it.each([
    ['vip; reseller;;', ['vip', 'reseller', 'crm-sync']],
    [
      ['vip', ' reseller ', ''],
      ['vip', 'reseller', 'crm-sync'],
    ],
    ['["vip","crm-sync"]', ['vip', 'crm-sync']],
    ['[not json; still text', ['[not json', 'still text', 'crm-sync']],
    [null, ['crm-sync']],
    ['', ['crm-sync']],
  ])('splits tags %j and adds the constant ones once', (segments, tags) => {
    const m = mappingOf({ tags: { from: 'segments', separator: ';', constant: ['crm-sync'] } });
    expect(crmToContact(m, { segments })).toEqual({ tags });
  });

  it('splits tags at a comma by default, and constant-only tags need no column', () => {
    expect(crmToContact(mappingOf({ tags: { from: 't' } }), { t: 'a,b' })).toEqual({ tags: ['a', 'b'] });
    expect(crmToContact(mappingOf({ tags: { constant: ['x'] } }), {})).toEqual({ tags: ['x'] });
  });

  it.each([
    [['id', 'en'], 'id, en'],
    ['["id","en"]', 'id, en'],
    ['already text', 'already text'],
    [[], null],
  ])('joins the list %j into text', (languages, joined) => {
    const m = mappingOf({ 'custom_attributes.langs': { from: 'languages', transform: 'join' } });
    expect(crmToContact(m, { languages })).toEqual({ custom_attributes: { langs: joined } });
  });

  it('changes case after trimming, and turns empty text into null', () => {
    const m = mappingOf({
      email: { from: 'e', transform: 'lowercase' },
      company: { from: 'c', transform: 'uppercase' },
      name: { from: 'n' },
    });
    expect(crmToContact(m, { e: ' Ann@Example.COM ', c: ' pt abc ', n: '  Ann  ' })).toEqual({
      email: 'ann@example.com',
      company: 'PT ABC',
      name: 'Ann',
    });
    expect(crmToContact(m, { e: '', c: '   ' })).toEqual({ email: null, company: null, name: null });
  });

  it('fills constants and keeps numbers and booleans in attributes', () => {
    const m = mappingOf({
      company: { value: 'ACME' },
      'custom_attributes.source': { value: 'crm' },
      'custom_attributes.score': { from: 'score' },
      'custom_attributes.active': { from: 'active' },
      'custom_attributes.note': { from: 'note' },
      phone: { from: 'n' },
    });
    expect(crmToContact(m, { score: 7.5, active: false, note: ' hi ', n: 8123, company: 'ignored' })).toEqual(
      {
        company: 'ACME',
        phone: '8123',
        custom_attributes: { source: 'crm', score: 7.5, active: false, note: 'hi' },
      },
    );
  });

  it('keeps inner spaces unless the field asks for collapse, which also drops invisible characters', () => {
    const m = mappingOf({
      name: { from: 'n' },
      company: { from: 'c', transform: 'collapse', owner: 'both' },
    });
    const raw = { n: ' Budi  Santoso ', c: '\uFEFF PT\u200B  Contoh\t\n Jaya ' };
    expect(crmToContact(m, raw)).toEqual({ name: 'Budi  Santoso', company: 'PT Contoh Jaya' });
    expect(crmToContact(m, { c: ' \uFEFF ' })).toEqual({ name: null, company: null });
    expect(contactToCrm(m, { company: 'PT  Contoh\uFEFF' })).toEqual({ c: 'PT Contoh' });
  });

  it('returns only mapped fields and leaves phones and emails as the CRM wrote them', () => {
    const m = mappingOf({ phone: { from: 'mobile' }, email: { from: 'mail' } });
    const contact = crmToContact(m, { mobile: '0812-3456 789', mail: 'Ann@Example.com', extra: 'x' });
    expect(contact).toEqual({ phone: '0812-3456 789', email: 'Ann@Example.com' });
    expect(Object.keys(contact)).toEqual(['phone', 'email']);
  });
});

const ownedMapping = mappingOf({
  name: { from: ['first', 'last'], transform: 'concat', owner: 'crm' },
  phone: { from: 'mobile', owner: 'both' },
  email: { from: 'email', transform: 'lowercase', owner: 'both' },
  company: { from: 'company_name', owner: 'sahut' },
  tags: { from: 'segments', separator: ';', constant: ['crm-sync'], owner: 'both' },
  'custom_attributes.tier': { from: 'tier', owner: 'sahut' },
  'custom_attributes.score': { from: 'score', owner: 'both' },
  'custom_attributes.langs': { from: 'languages', transform: 'join', owner: 'both' },
  'custom_attributes.region': { from: 'region', owner: 'crm' },
});

describe('contactToCrm', () => {
  it('writes back only the fields owned by sahut or both that the contact carries', () => {
    const fields: Contact = {
      name: 'Never Written',
      email: 'Ann@Example.com',
      tags: ['vip', 'crm-sync', 'reseller'],
      custom_attributes: { score: 3, region: 'west', langs: 'id, en' },
    };
    expect(contactToCrm(ownedMapping, fields)).toEqual({
      email: 'ann@example.com',
      segments: 'vip;reseller',
      score: 3,
      languages: ['id', 'en'],
    });
  });

  it('writes null for emptied fields and for tags left with only constant ones', () => {
    expect(contactToCrm(ownedMapping, { phone: null, company: '  ', tags: ['crm-sync'] })).toEqual({
      mobile: null,
      company_name: null,
      segments: null,
    });
  });

  it.each<Contact>([
    {
      phone: '+6281234567',
      email: 'ann@example.com',
      company: 'PT Contoh',
      tags: ['vip', 'reseller', 'crm-sync'],
      custom_attributes: { tier: 'gold', score: 7, langs: 'id, en' },
    },
    {
      phone: null,
      email: null,
      company: null,
      tags: ['crm-sync'],
      custom_attributes: { tier: null, score: true, langs: null },
    },
  ])('round-trips owned fields: crmToContact(contactToCrm(c)) gives c back (%#)', (contact) => {
    const back = crmToContact(ownedMapping, contactToCrm(ownedMapping, contact));
    // name and region are crm-owned: their columns were never written, so they read back as null.
    expect(back).toStrictEqual({
      ...contact,
      name: null,
      custom_attributes: { ...contact.custom_attributes, region: null },
    });
  });
});
