/** Which side's edits of a field win: `both` lets either side change it. */
export type FieldOwner = 'crm' | 'sahut' | 'both';

/** Owner per field key: `name`, `tags`, `custom_attributes` or `custom_attributes.<key>`. */
export type Owners = Readonly<Record<string, FieldOwner>>;

/** An attribute key falls back to the owner of `custom_attributes`; anything unnamed is `both`. */
export function ownerFor(owners: Owners | undefined, key: string): FieldOwner {
  const own = owners?.[key];
  if (own) return own;
  if (key.startsWith('custom_attributes.')) return owners?.custom_attributes ?? 'both';
  return 'both';
}
