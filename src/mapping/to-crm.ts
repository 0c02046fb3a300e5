import type { Contact } from '../domain/index.ts';
import type { FieldRule, Mapping } from './types.ts';
import { cleanText, collapseText } from './values.ts';

const ATTR_PREFIX = 'custom_attributes.';

/** The contact's value for a rule's field, or `undefined` when the contact does not carry it. */
function valueFor(rule: FieldRule, contact: Contact): unknown {
  if (rule.key.startsWith(ATTR_PREFIX)) {
    const attrs = contact.custom_attributes;
    const name = rule.key.slice(ATTR_PREFIX.length);
    return attrs !== undefined && Object.hasOwn(attrs, name) ? attrs[name] : undefined;
  }
  return contact[rule.key as keyof Contact];
}

function crmValue(rule: FieldRule, value: unknown): unknown {
  if (rule.key === 'tags') {
    // Constant tags come from the mapping, not the CRM: keep them out of the column.
    const own = (value as string[]).filter((tag) => !rule.constant.includes(tag));
    return own.length > 0 ? own.join(rule.separator) : null;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = cleanText(value);
  if (text === null) return null;
  switch (rule.transform) {
    case 'join':
      return text
        .split(rule.separator.trim() || rule.separator)
        .map((part) => part.trim())
        .filter(Boolean);
    case 'lowercase':
      return text.toLowerCase();
    case 'uppercase':
      return text.toUpperCase();
    case 'collapse':
      return collapseText(text);
    default:
      return text;
  }
}

/**
 * The inverse of `crmToContact` for write-back: contact fields owned by
 * `sahut` or `both` → CRM column values (split tags joined back without the
 * constant tags, joined lists split back into arrays). Fields the contact
 * does not carry and `crm`-owned fields are left out.
 */
export function contactToCrm(mapping: Mapping, fields: Partial<Contact>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const rule of mapping.fields) {
    const column = rule.from[0];
    if (rule.owner === 'crm' || column === undefined) continue;
    const value = valueFor(rule, fields);
    if (value !== undefined) out[column] = crmValue(rule, value);
  }
  return out;
}
