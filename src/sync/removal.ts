import type { FieldDiff } from '../domain/index.ts';
import type { Mapping } from '../mapping/index.ts';
import type { ContactPatch, SahutContact } from '../sahut/types.ts';

/** What a CRM deletion does to the Sahut contact (`options.onCrmDelete`). */
export type OnCrmDelete = 'keep' | 'tag' | 'clear';

/**
 * The PUT a CRM deletion makes, with its diff; null when there is nothing to
 * write. `tag`: the configured tag added and the mapping's constant tags taken
 * off (they say "synced from the CRM"). `clear`: every `crm`-owned field emptied
 * except the name, so the contact keeps its conversation and can still be found.
 */
export function crmDeletePatch(
  mode: OnCrmDelete,
  contact: SahutContact,
  mapping: Mapping,
  tag: string,
): { patch: ContactPatch; diff: FieldDiff } | null {
  if (mode === 'keep') return null;
  const patch: ContactPatch = {};
  const diff: FieldDiff = {};
  if (mode === 'tag') {
    const constant = new Set(mapping.fields.flatMap((rule) => (rule.key === 'tags' ? rule.constant : [])));
    const tags = [...contact.tags.filter((t) => !constant.has(t) && t !== tag), tag];
    if (!sameList(tags, contact.tags)) {
      patch.tags = tags;
      diff.tags = { before: contact.tags, after: tags };
    }
  } else {
    const attributes: Record<string, null> = {};
    for (const rule of mapping.fields) {
      if (rule.owner !== 'crm' || rule.key === 'name') continue;
      if (rule.key.startsWith('custom_attributes.')) {
        const name = rule.key.slice('custom_attributes.'.length);
        const before = contact.custom_attributes[name] ?? null;
        if (before === null) continue;
        attributes[name] = null;
        diff[rule.key] = { before, after: null };
      } else if (rule.key === 'tags') {
        if (contact.tags.length === 0) continue;
        patch.tags = [];
        diff.tags = { before: contact.tags, after: [] };
      } else {
        const key = rule.key as 'phone' | 'email' | 'company';
        if (contact[key] === null) continue;
        patch[key] = null;
        diff[key] = { before: contact[key], after: null };
      }
    }
    if (Object.keys(attributes).length > 0) patch.custom_attributes = attributes;
  }
  return Object.keys(patch).length > 0 ? { patch, diff } : null;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** `options.deleteGuard`: a number of links, or a share of them (`"5%"`); unset, the larger of 5 % and 50. */
export type DeleteGuard = number | `${number}%` | undefined;

export const DEFAULT_GUARD_SHARE = 0.05;
export const DEFAULT_GUARD_MIN = 50;

/** How many removals one pass may act on, for a connection with `links` links. */
export function guardLimit(guard: DeleteGuard, links: number): number {
  if (typeof guard === 'number') return guard;
  if (typeof guard === 'string') return Math.floor((Number.parseFloat(guard) / 100) * links);
  return Math.max(Math.floor(DEFAULT_GUARD_SHARE * links), DEFAULT_GUARD_MIN);
}

/**
 * Whether a pass with `due` removals must act on none: more than the limit,
 * unless a person allowed at least that many (`run --once --allow-deletes N`).
 */
export function guardTrips(due: number, limit: number, allowed: number | undefined): boolean {
  if (due <= limit) return false;
  return allowed === undefined || due > allowed;
}

/** How a run failed by the guard begins its note: what the health page looks for. */
export const GUARD_NOTE = 'deletion guard:';

export function guardMessage(connection: string, due: number, links: number, limit: number): string {
  return (
    `${GUARD_NOTE} ${due} of the ${links} links of ${connection} are gone from the CRM or Sahut, ` +
    `more than deleteGuard allows (${limit}); nothing was deleted, tagged, recreated or unlinked. ` +
    `If these removals are real, confirm them: sahut-sync run --once --connection ${connection} --allow-deletes ${due}`
  );
}
