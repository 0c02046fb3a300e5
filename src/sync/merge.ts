/**
 * Three-way merge of one contact, per field (per key for custom attributes),
 * against `base`, the value both sides last agreed on:
 * - both sides equal → keep it, nothing to write;
 * - only one side changed → take that side;
 * - both changed, differently → a conflict, always recorded: the field's owner
 *   wins (`crm` / `sahut`); for `both`, `onConflict` decides (default `crm`),
 *   except tags, which are set-merged: each side's additions and removals apply,
 *   in crm order followed by Sahut's additions.
 * A side gets a write only where the merged value differs from what it holds, so a
 * field Sahut still holds at its base value is never written back to the CRM (echo
 * suppression). Only fields present in both `crm` and `sahut` are merged.
 */

import type { AttrValue, Contact, FieldDiff } from '../domain/index.ts';
import { sameTags, sameValue } from './compare.ts';
import { type FieldOwner, type Owners, ownerFor } from './owners.ts';

type Side = 'crm' | 'sahut';

export interface MergeInput {
  base: Contact;
  crm: Contact;
  sahut: Contact;
  owners?: Owners;
  /** Winner when both sides changed a field owned by `both`. */
  onConflict?: Side;
}

export interface MergeConflict {
  field: string;
  base: unknown;
  crm: unknown;
  sahut: unknown;
  resolution: Side | 'merged';
}

export interface MergeResult {
  merged: Contact;
  toSahut: FieldDiff;
  toCrm: FieldDiff;
  conflicts: MergeConflict[];
}

export function mergeContact(input: MergeInput): MergeResult {
  const { base, crm, sahut } = input;
  const result: MergeResult = { merged: {}, toSahut: {}, toCrm: {}, conflicts: [] };
  const merge = <T>(
    field: string,
    b: T,
    c: T,
    s: T,
    same: (x: T, y: T) => boolean,
    setMerge?: SetMerge<T>,
  ) => {
    const owner = ownerFor(input.owners, field);
    const { value, resolution } = decide(b, c, s, same, owner, input.onConflict ?? 'crm', setMerge);
    if (resolution) result.conflicts.push({ field, base: b, crm: c, sahut: s, resolution });
    if (!same(value, s)) result.toSahut[field] = { before: s, after: value };
    if (!same(value, c)) result.toCrm[field] = { before: c, after: value };
    return value;
  };

  for (const field of ['name', 'phone', 'email', 'company'] as const) {
    const c = crm[field];
    const s = sahut[field];
    if (c === undefined || s === undefined) continue;
    result.merged[field] = merge(field, base[field] ?? null, c, s, sameValue);
  }
  if (crm.tags && sahut.tags) {
    result.merged.tags = merge('tags', base.tags ?? [], crm.tags, sahut.tags, sameTags, mergeTags);
  }
  if (crm.custom_attributes && sahut.custom_attributes) {
    const attrs: Record<string, AttrValue> = {};
    for (const key of new Set([
      ...Object.keys(crm.custom_attributes),
      ...Object.keys(sahut.custom_attributes),
    ])) {
      const b = base.custom_attributes?.[key] ?? null;
      const c = crm.custom_attributes[key] ?? null;
      const s = sahut.custom_attributes[key] ?? null;
      attrs[key] = merge(`custom_attributes.${key}`, b, c, s, sameValue);
    }
    result.merged.custom_attributes = attrs;
  }
  return result;
}

type SetMerge<T> = (base: T, crm: T, sahut: T) => T;

function decide<T>(
  b: T,
  c: T,
  s: T,
  same: (x: T, y: T) => boolean,
  owner: FieldOwner,
  onConflict: Side,
  setMerge: SetMerge<T> | undefined,
): { value: T; resolution?: MergeConflict['resolution'] } {
  if (same(c, s) || same(s, b)) return { value: c };
  if (same(c, b)) return { value: s };
  if (owner === 'both' && setMerge) return { value: setMerge(b, c, s), resolution: 'merged' };
  const winner = owner === 'both' ? onConflict : owner;
  return { value: winner === 'crm' ? c : s, resolution: winner };
}

/** crm's list without what Sahut removed, then what Sahut added. */
export function mergeTags(
  base: readonly string[],
  crm: readonly string[],
  sahut: readonly string[],
): string[] {
  const inBase = new Set(base);
  const inSahut = new Set(sahut);
  const kept = crm.filter((t) => !(inBase.has(t) && !inSahut.has(t)));
  const inCrm = new Set(crm);
  return [...kept, ...sahut.filter((t) => !inBase.has(t) && !inCrm.has(t))];
}
