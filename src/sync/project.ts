import type { AttrValue, Contact } from '../domain/index.ts';
import type { SahutContact } from '../sahut/types.ts';
import { cleanTags, cleanText } from './normalise.ts';
import { normalisePhone } from './phone.ts';

/**
 * A Sahut contact seen as a canonical Contact with the managed fields of
 * `shape` only (and, for custom attributes, only the keys of `shape`), in the
 * same normal form as a normalised CRM record. Lenient: a value Sahut stores
 * that is not a valid phone or email is kept as written rather than lost, so it
 * still differs from a valid one and gets corrected.
 */
export function projectSahut(
  current: SahutContact,
  shape: Contact,
  defaultRegion: string | undefined,
): Contact {
  const out: Contact = {};
  if (shape.name !== undefined) out.name = cleanText(current.name);
  if (shape.phone !== undefined)
    out.phone = normalisePhone(current.phone, defaultRegion) ?? cleanText(current.phone);
  if (shape.email !== undefined) out.email = current.email?.trim().toLowerCase() || null;
  if (shape.company !== undefined) out.company = cleanText(current.company);
  if (shape.tags !== undefined) out.tags = cleanTags(current.tags);
  if (shape.custom_attributes !== undefined) {
    const attrs: Record<string, AttrValue> = {};
    for (const key of Object.keys(shape.custom_attributes)) {
      const value = current.custom_attributes[key] ?? null;
      attrs[key] = typeof value === 'string' ? value.trim() : value;
    }
    out.custom_attributes = attrs;
  }
  return out;
}
