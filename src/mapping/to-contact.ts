import type { AttrValue, Contact } from '../domain/index.ts';
import type { FieldRule, Mapping, ScalarField } from './types.ts';
import { cleanText, collapseText, toList, unique } from './values.ts';

const ATTR_PREFIX = 'custom_attributes.';

function scalarValue(rule: FieldRule, data: Record<string, unknown>): AttrValue {
  const raw = data[rule.from[0] ?? ''];
  switch (rule.transform) {
    case 'constant':
      return rule.value;
    case 'concat': {
      const parts = rule.from.map((column) => cleanText(data[column])).filter((part) => part !== null);
      return parts.length > 0 ? parts.join(rule.separator) : null;
    }
    case 'join': {
      const list =
        Array.isArray(raw) || (typeof raw === 'string' && raw.trim().startsWith('['))
          ? toList(raw, rule.separator)
          : null;
      return list === null ? cleanText(raw) : list.length > 0 ? list.join(rule.separator) : null;
    }
    case 'lowercase':
      return cleanText(raw)?.toLowerCase() ?? null;
    case 'uppercase':
      return cleanText(raw)?.toUpperCase() ?? null;
    case 'collapse':
      return collapseText(raw);
    default:
      // Attributes keep numbers and booleans; text is trimmed.
      if (rule.key.startsWith(ATTR_PREFIX) && (typeof raw === 'number' || typeof raw === 'boolean'))
        return raw;
      return cleanText(raw);
  }
}

/**
 * A CRM record's raw fields → the contact fields the mapping manages, and only
 * those. Values are cleaned (trimmed, empty → null) but not normalised:
 * phone and email normalisation belongs to the sync step.
 */
export function crmToContact(mapping: Mapping, data: Record<string, unknown>): Contact {
  const contact: Contact = {};
  for (const rule of mapping.fields) {
    if (rule.key === 'tags') {
      const fromColumn = rule.from[0] === undefined ? [] : toList(data[rule.from[0]], rule.separator);
      contact.tags = unique([...fromColumn, ...rule.constant]);
    } else if (rule.key.startsWith(ATTR_PREFIX)) {
      contact.custom_attributes ??= {};
      contact.custom_attributes[rule.key.slice(ATTR_PREFIX.length)] = scalarValue(rule, data);
    } else {
      const value = scalarValue(rule, data);
      contact[rule.key as ScalarField] = value === null ? null : String(value);
    }
  }
  return contact;
}
