import type { AttrValue, Contact, FieldDiff } from '../../domain/index.ts';
import { sameTags, sameValue } from '../compare.ts';
import type { MergeConflict, MergeResult } from '../merge.ts';
import { type Owners, ownerFor } from '../owners.ts';

const ATTR = 'custom_attributes.';
type Value = AttrValue | string[];
type Sides = { base: Contact; crm: Contact; sahut: Contact };

/**
 * `mergeContact` lets a change made on one side alone through, whoever owns the
 * field; the mapping's owners then decide what each side ends up holding:
 * - `crm`: the CRM's value stands everywhere. Sahut gets it whenever it holds
 *   something else, so an agent's edit of a CRM-owned field is put back (and
 *   noted); it is never written to the CRM.
 * - `sahut`: Sahut's value stands: written to the CRM wherever the CRM differs
 *   (a CRM edit is overwritten, and noted), never written to Sahut.
 * - `both`: the merge as it is.
 * Adjusts `result` in place and returns the notes for the audit row.
 */
export function applyOwners(result: MergeResult, sides: Sides, owners: Owners): string[] {
  const notes: string[] = [];
  for (const key of fieldKeys(result.merged)) {
    const owner = ownerFor(owners, key);
    if (owner === 'both') continue;
    const eq = (x: Value, y: Value) =>
      key === 'tags' ? sameTags(x as string[], y as string[]) : sameValue(x as AttrValue, y as AttrValue);
    const [b, c, s] = [read(sides.base, key), read(sides.crm, key), read(sides.sahut, key)];
    delete result.toCrm[key];
    delete result.toSahut[key];
    if (owner === 'crm') {
      write(result.merged, key, c);
      if (eq(c, s)) continue;
      result.toSahut[key] = { before: s, after: c };
      if (eq(c, b)) notes.push(`${key} is owned by the CRM: Sahut's ${show(s)} put back to ${show(c)}`);
    } else {
      write(result.merged, key, s);
      if (!eq(s, c)) result.toCrm[key] = { before: c, after: s };
      if (!eq(c, b) && eq(s, b) && !eq(c, s))
        notes.push(`${key} is owned by Sahut: the CRM's ${show(c)} overwritten with ${show(s)}`);
    }
  }
  return notes;
}

/** e.g. `conflict on company: CRM "A", Sahut "B" → kept CRM`. */
export function describeConflict(conflict: MergeConflict, merged: Contact): string {
  const outcome =
    conflict.resolution === 'merged'
      ? `merged ${show(read(merged, conflict.field))}`
      : `kept ${conflict.resolution === 'crm' ? 'CRM' : 'Sahut'}`;
  return `conflict on ${conflict.field}: CRM ${show(conflict.crm)}, Sahut ${show(conflict.sahut)} → ${outcome}`;
}

/** The `after` values of a field diff, as the contact that carries only those fields. */
export function contactFromDiff(diff: FieldDiff): Contact {
  const out: Contact = {};
  for (const [key, { after }] of Object.entries(diff)) write(out, key, after as Value);
  return out;
}

/**
 * The base after the CRM was written with `merged` while Sahut still held `sahut`: a field
 * both now hold alike is agreed (its base moves to that value), any other keeps its old base.
 * Tags merge tag by tag, so they agree tag by tag: a tag both hold, or both lack, is agreed.
 * Merging again from it, a later agent edit reads as Sahut's change, not as a conflict with
 * the value we just wrote to the CRM (and an agent's removal of a tag the CRM was just given
 * from Sahut removes it).
 */
export function agreedBase(base: Contact, merged: Contact, sahut: Contact): Contact {
  const next = structuredClone(base);
  for (const key of fieldKeys(merged)) {
    const [m, s] = [read(merged, key), read(sahut, key)];
    if (key === 'tags')
      write(next, key, agreedTags(read(base, key) as string[], m as string[], s as string[]));
    else if (sameValue(m as AttrValue, s as AttrValue)) write(next, key, m);
  }
  return next;
}

/** The tags both hold, and those of the old base that only one of them holds (not yet agreed). */
function agreedTags(base: readonly string[], merged: readonly string[], sahut: readonly string[]): string[] {
  const [inMerged, inSahut] = [new Set(merged), new Set(sahut)];
  const both = merged.filter((t) => inSahut.has(t));
  const pending = base.filter((t) => inMerged.has(t) !== inSahut.has(t));
  return [...new Set([...both, ...pending])];
}

function fieldKeys(contact: Contact): string[] {
  const scalars = (['name', 'phone', 'email', 'company', 'tags'] as const).filter(
    (f) => contact[f] !== undefined,
  );
  return [...scalars, ...Object.keys(contact.custom_attributes ?? {}).map((k) => `${ATTR}${k}`)];
}

function read(contact: Contact, key: string): Value {
  if (key === 'tags') return contact.tags ?? [];
  if (key.startsWith(ATTR)) return contact.custom_attributes?.[key.slice(ATTR.length)] ?? null;
  return contact[key as 'name' | 'phone' | 'email' | 'company'] ?? null;
}

function write(contact: Contact, key: string, value: Value): void {
  if (key === 'tags') contact.tags = value as string[];
  else if (key.startsWith(ATTR)) {
    contact.custom_attributes ??= {};
    contact.custom_attributes[key.slice(ATTR.length)] = value as AttrValue;
  } else contact[key as 'name' | 'phone' | 'email' | 'company'] = value as string | null;
}

// Audit text names the values; bounded so one long field cannot flood a row.
const MAX_SHOWN = 64;
function show(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

export { read as readField, write as writeField };
