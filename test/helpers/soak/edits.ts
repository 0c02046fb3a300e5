/** The shapes the soak suite's editor writes and its verdict reads: plain data, no I/O. */

export type Side = 'crm' | 'sahut';
export type Owner = 'crm' | 'sahut' | 'both';

/** The fields the soak mapping syncs; `tags` is edited tag by tag, the others as one value. */
export const SCALAR_FIELDS = [
  'name',
  'phone',
  'email',
  'company',
  'custom_attributes.customer_tier',
] as const;
export type ScalarField = (typeof SCALAR_FIELDS)[number];
export type Field = ScalarField | 'tags';

/** Issue 20's mapping, the soak's on every CRM: the name is the CRM's, the tier Sahut's, the rest both sides'. */
export const SOAK_OWNERS: Readonly<Record<Field, Owner>> = {
  name: 'crm',
  phone: 'both',
  email: 'both',
  company: 'both',
  tags: 'both',
  'custom_attributes.customer_tier': 'sahut',
};

/**
 * One person's edit, logged once it is visible on its side (the CRM transaction committed, the
 * agent's PUT answered). `record` is `<connection>:<CRM id>`; `value` is in the form both sides
 * are compared in (E.164 phone, lower-case email, trimmed text), or the tag added or removed.
 */
export interface Edit {
  seq: number;
  /** `Date.now()` when it became visible. */
  at: number;
  side: Side;
  record: string;
  field: Field;
  op: 'set' | 'add' | 'remove';
  value: string | null;
  /** As written, when the side wrote it in another form (`0857-9000-0781`). */
  raw?: string;
}

/** The values a record holds on one side, each field in the compared form (tags as a list). */
export type Values = Partial<Record<ScalarField, string | null>> & { tags?: string[] };

/** A conflict the store's audit wrote down: both sides' values of one field, and who was kept. */
export interface ConflictRow {
  record: string;
  field: string;
  at: number;
  crm: unknown;
  sahut: unknown;
  resolution: Side | 'merged';
}

/**
 * A `PUT` of the sync that followed its `GET` of the contact, with an agent's `PUT` of the same
 * contact answered in between: the fields the sync sent (flattened, `custom_attributes.x`).
 * Sahut has no conditional update, so what it overwrites there is the documented window. On
 * HubSpot, likewise: a batch update that followed the sync's batch read, with a person's edit
 * of the contact in between (`editSeq` is then that CRM edit's).
 */
export interface WindowOverwrite {
  editSeq: number;
  body: Record<string, unknown>;
}
