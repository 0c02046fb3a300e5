import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CreateInCrm } from '../../config/create-in-crm.ts';
import type { IdentityProbe } from '../../crm/types.ts';
import type { Contact, FieldDiff } from '../../domain/index.ts';
import { contactToCrm, crmToContact, type FieldRule, type Mapping } from '../../mapping/index.ts';
import { type Identity, lockKeys } from '../identity.ts';

/**
 * The pure decisions about walk-ins (Sahut contacts no CRM record links to):
 * which ones `options.createInCrm` selects, how CRM rows are looked up and
 * matched for them, and what a new CRM record holds.
 */

/** Every contact, or those carrying any of the option's tags (in any case). */
export function selectsWalkIn(option: CreateInCrm | undefined, tags: readonly string[]): boolean {
  if (!option) return false;
  if (option.tags === null) return true;
  const wanted = new Set(option.tags);
  return tags.some((tag) => wanted.has(tag.trim().toLowerCase()));
}

/** Every field the mapping manages, as keys: the shape a Sahut contact is projected onto. */
export const managedShape = (mapping: Mapping): Contact => crmToContact(mapping, {});

/**
 * Every identity key is locked twice: as the CRM→Sahut direction locks it
 * (per connection), and once for the deployment, so that two connections
 * writing one CRM table cannot both create a record for one person.
 * `@` cannot start a connection name, so the scopes never meet.
 */
export const walkInLockKeys = (connection: string, identity: Identity): string[] => [
  ...lockKeys(connection, identity),
  ...lockKeys('@walk-in', identity),
];

// A field one column holds and write-back can invert; concat, constants and constant-only tags cannot.
const invertible = (rule: FieldRule) =>
  rule.from.length === 1 && rule.transform !== 'concat' && rule.transform !== 'constant';

/**
 * The new CRM record of a walk-in: `defaults`, then every field one column can
 * hold, written as write-back writes it, whoever owns it (a new record has no
 * CRM value to keep, just as a new Sahut contact gets the Sahut-owned fields).
 * A field the contact leaves empty keeps its column's default; concat and
 * constant fields get only the defaults. Where two fields share a column, a
 * field owned by `sahut` or `both` fills it. `diff` lists what the contact gave.
 */
export function creationRow(
  mapping: Mapping,
  contact: Contact,
  defaults: Readonly<Record<string, unknown>>,
): { columns: Record<string, unknown>; diff: FieldDiff } {
  const columns: Record<string, unknown> = { ...defaults };
  const diff: FieldDiff = {};
  const rules = mapping.fields.filter(invertible);
  const filled = new Set<string>();
  for (const rule of [...rules.filter((r) => r.owner !== 'crm'), ...rules.filter((r) => r.owner === 'crm')]) {
    const column = rule.from[0] as string;
    if (filled.has(column)) continue;
    const value = contactToCrm({ fields: [{ ...rule, owner: 'both' }] }, contact)[column];
    if (value === undefined || value === null) continue;
    filled.add(column);
    columns[column] = value;
    diff[rule.key] = { before: null, after: fieldOf(contact, rule.key) };
  }
  return { columns, diff };
}

/** What the connector looks up: the phone's national digits in its columns, the email in its column. */
export function identityProbe(mapping: Mapping, identity: Identity, limit: number): IdentityProbe | null {
  const phone = mapping.fields.find((rule) => rule.key === 'phone');
  const email = mapping.fields.find((rule) => rule.key === 'email');
  const probe: IdentityProbe = { limit };
  if (identity.phone && phone && phone.from.length > 0)
    probe.phone = { columns: phone.from, digits: nationalDigits(identity.phone) };
  if (identity.email && email?.from.length === 1)
    probe.email = { column: email.from[0] as string, address: identity.email };
  return probe.phone || probe.email ? probe : null;
}

/** `+62 812-3456-789` → `8123456789`: every way of writing the number contains these digits. */
export function nationalDigits(e164: string): string {
  return parsePhoneNumberFromString(e164)?.nationalNumber ?? e164.replace(/\D/g, '');
}

/** A CRM record that may be the walk-in, with its normalised identity and the contact it is linked to. */
export interface CrmCandidate {
  crmId: string;
  phone: string | null;
  email: string | null;
  linkedTo: string | null;
}

export type CrmMatch =
  | { kind: 'none' }
  | { kind: 'one'; crmId: string }
  | { kind: 'ambiguous'; candidateIds: string[]; reason: string };

/**
 * Which CRM record the walk-in is: none, exactly one that no other contact
 * holds, or ambiguous, for a person to settle, when its phone and email point
 * at several records, at one already linked to another contact (one person
 * with two Sahut contacts), or at more records than the lookup returned.
 * Never guesses.
 */
export function matchCrm(
  identity: Identity,
  candidates: readonly CrmCandidate[],
  opts: { sahutId: string; truncated: boolean },
): CrmMatch {
  const byId = new Map<string, CrmCandidate & { by: Set<'phone' | 'email'> }>();
  for (const c of candidates) {
    const by = new Set<'phone' | 'email'>();
    if (identity.phone && c.phone === identity.phone) by.add('phone');
    if (identity.email && c.email === identity.email) by.add('email');
    if (by.size === 0) continue;
    const seen = byId.get(c.crmId);
    byId.set(c.crmId, {
      ...c,
      linkedTo: seen?.linkedTo ?? c.linkedTo,
      by: new Set([...(seen?.by ?? []), ...by]),
    });
  }
  const matched = [...byId.values()].sort((a, b) => (a.crmId < b.crmId ? -1 : 1));
  const ids = matched.map((c) => c.crmId);
  if (opts.truncated) {
    const reason = `the CRM lookup returned too many records for ${describe(identity)}: not created`;
    return { kind: 'ambiguous', candidateIds: ids, reason };
  }
  const [only, ...others] = matched;
  if (!only) return { kind: 'none' };
  if (others.length > 0) {
    const parts = (['phone', 'email'] as const).flatMap((key) => {
      const hits = matched.filter((c) => c.by.has(key)).map((c) => c.crmId);
      return hits.length > 0 ? [`${key} ${identity[key]} matches CRM records ${hits.join(', ')}`] : [];
    });
    return { kind: 'ambiguous', candidateIds: ids, reason: parts.join('; ') };
  }
  if (only.linkedTo !== null && only.linkedTo !== opts.sahutId) {
    const reason =
      `CRM record ${only.crmId} has the same ${[...only.by].join(' and ')} and is linked to Sahut contact ` +
      `${only.linkedTo}: one person with two contacts? Merge them in Sahut`;
    return { kind: 'ambiguous', candidateIds: ids, reason };
  }
  return { kind: 'one', crmId: only.crmId };
}

const describe = (identity: Identity) =>
  [identity.phone && `phone ${identity.phone}`, identity.email && `email ${identity.email}`]
    .filter(Boolean)
    .join(' or ');

function fieldOf(contact: Contact, key: string): unknown {
  if (key.startsWith('custom_attributes.'))
    return contact.custom_attributes?.[key.slice('custom_attributes.'.length)] ?? null;
  return contact[key as 'name' | 'phone' | 'email' | 'company' | 'tags'] ?? null;
}
