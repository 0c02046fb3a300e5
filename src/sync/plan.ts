import type { AttrValue, Contact, FieldDiff } from '../domain/index.ts';
import type { ContactInput, ContactPatch, SahutContact } from '../sahut/types.ts';
import { sameTags, sameValue } from './compare.ts';
import { type Owners, ownerFor } from './owners.ts';
import { projectSahut } from './project.ts';

export type CreatePlan = { kind: 'create'; body: ContactInput } | { kind: 'reject'; reason: string };

/** The POST body for a normalised contact; empty values are left out, not sent as `null`. */
export function planCreate(contact: Contact): CreatePlan {
  if (!contact.name) return { kind: 'reject', reason: 'name is required by Sahut' };
  const body: ContactInput = { name: contact.name };
  if (contact.phone) body.phone = contact.phone;
  if (contact.email) body.email = contact.email;
  if (contact.company) body.company = contact.company;
  if (contact.tags && contact.tags.length > 0) body.tags = contact.tags;
  const attrs = Object.entries(contact.custom_attributes ?? {}).filter(([, v]) => v !== null);
  if (attrs.length > 0) body.custom_attributes = Object.fromEntries(attrs);
  return { kind: 'create', body };
}

export interface PlanUpdateOptions {
  owners?: Owners;
  /** Region for reading phones Sahut stored without a country code. */
  defaultRegion?: string;
  /**
   * The contract does not say whether PUT merges `custom_attributes` per key; we
   * assume it does and send only the changed keys. `true` sends the whole
   * object (current values overlaid with the changes) for a Sahut that replaces it.
   */
  sendAllAttributes?: boolean;
}

export interface UpdatePlan {
  /** Empty when nothing changed: then no call is made. */
  patch: ContactPatch;
  diff: FieldDiff;
}

/**
 * The PUT that makes `current` agree with the normalised `desired`. Only keys
 * present in `desired` are compared, against `current` normalised the same way.
 * Tags compare as a set (no churn on order) and, when different, the full desired
 * list is sent, since PUT replaces tags. Fields owned by `sahut` are never sent;
 * a `null` name is never sent either (Sahut requires one).
 */
export function planUpdate(
  desired: Contact,
  current: SahutContact,
  opts: PlanUpdateOptions = {},
): UpdatePlan {
  const now = projectSahut(current, desired, opts.defaultRegion);
  const pushes = (key: string) => ownerFor(opts.owners, key) !== 'sahut';
  const patch: ContactPatch = {};
  const diff: FieldDiff = {};

  for (const field of ['name', 'phone', 'email', 'company'] as const) {
    const want = desired[field];
    if (want === undefined || !pushes(field) || sameValue(want, now[field])) continue;
    if (field === 'name') {
      if (want === null) continue;
      patch.name = want;
    } else patch[field] = want;
    diff[field] = { before: current[field], after: want };
  }

  if (desired.tags && pushes('tags') && !sameTags(desired.tags, now.tags ?? [])) {
    patch.tags = desired.tags;
    diff.tags = { before: current.tags, after: desired.tags };
  }

  const changed: Record<string, AttrValue> = {};
  for (const [key, want] of Object.entries(desired.custom_attributes ?? {})) {
    const field = `custom_attributes.${key}`;
    if (!pushes(field) || sameValue(want, now.custom_attributes?.[key])) continue;
    changed[key] = want;
    diff[field] = { before: current.custom_attributes[key] ?? null, after: want };
  }
  if (Object.keys(changed).length > 0) {
    patch.custom_attributes = opts.sendAllAttributes ? { ...current.custom_attributes, ...changed } : changed;
  }
  return { patch, diff };
}

/**
 * What Sahut holds after `patch` was PUT onto `current`: the fields sent replace
 * theirs (tags as a whole list), custom attributes merge per key. The contract
 * documents no PUT response, so the link is built from this, not from the reply.
 */
export function applyPatch(current: SahutContact, patch: ContactPatch): SahutContact {
  const { custom_attributes: attrs, ...fields } = patch;
  const next: SahutContact = { ...current, ...fields } as SahutContact;
  if (attrs) next.custom_attributes = { ...current.custom_attributes, ...attrs };
  return next;
}
