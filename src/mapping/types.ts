import type { AttrValue } from '../domain/index.ts';

/**
 * Who wins a field. `crm`: the CRM value is pushed to Sahut and never written
 * back. `sahut`: Sahut's value is written back to the CRM and only sent to
 * Sahut when a contact is created. `both`: three-way merge against the base.
 */
export const OWNERS = ['crm', 'sahut', 'both'] as const;
export type Owner = (typeof OWNERS)[number];

export const TRANSFORMS = [
  'concat',
  'split',
  'join',
  'lowercase',
  'uppercase',
  'trim',
  'collapse',
  'constant',
] as const;
export type Transform = (typeof TRANSFORMS)[number];

export const SCALAR_FIELDS = ['name', 'phone', 'email', 'company'] as const;
export type ScalarField = (typeof SCALAR_FIELDS)[number];

/** A Sahut field a mapping can fill: `custom_attributes.<key>` names one attribute. */
export type FieldKey = ScalarField | 'tags' | `custom_attributes.${string}`;

/** One mapped field, normalised: every default applied, every rule checked. */
export interface FieldRule {
  key: FieldKey;
  /** CRM columns read, in order; empty for a constant (and for constant-only tags). */
  from: readonly string[];
  transform: Transform;
  /** For concat, split and join. */
  separator: string;
  /** Tags only: tags every contact gets, never written back. */
  constant: readonly string[];
  /** The value of a `constant` transform. */
  value: AttrValue;
  owner: Owner;
}

export interface Mapping {
  readonly fields: readonly FieldRule[];
}
