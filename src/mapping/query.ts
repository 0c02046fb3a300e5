import type { FieldKey, Mapping, Owner } from './types.ts';

/** The Sahut fields the mapping manages, in file order. */
export const mappedFields = (mapping: Mapping): FieldKey[] => mapping.fields.map((rule) => rule.key);

/** Who owns a mapped field; asking about a field the mapping does not manage is a bug (see `mappedFields`). */
export function ownerOf(mapping: Mapping, key: string): Owner {
  const rule = mapping.fields.find((r) => r.key === key);
  if (!rule) throw new RangeError(`The mapping does not manage the field ${key}`);
  return rule.owner;
}

/** The CRM columns a connector must read (and the only ones write-back may touch), once each. */
export const sourceColumns = (mapping: Mapping): string[] => [
  ...new Set(mapping.fields.flatMap((rule) => rule.from)),
];
