import type { SahutContact } from '../sahut/types.ts';
import type { Identity } from './identity.ts';
import { normaliseEmail } from './normalise.ts';
import { normalisePhone } from './phone.ts';

export type MatchResult =
  | { kind: 'none' }
  | { kind: 'one'; contact: SahutContact; by: ('phone' | 'email')[] }
  /** `contacts`: the candidates themselves, in id order, for a person to compare with the record. */
  | { kind: 'ambiguous'; candidateIds: string[]; reason: string; contacts: SahutContact[] };

export interface MatchOptions {
  /** Region for reading phones Sahut stored without a country code. */
  defaultRegion: string;
}

export interface ExactMatches {
  byPhone: SahutContact[];
  byEmail: SahutContact[];
}

/**
 * Keeps the candidates whose phone or email equals the identity once both are
 * normalised the same way (`q` is fuzzy, and Sahut may store `0812 3456 789`).
 * Each contact appears once per list, even when the searches returned it twice.
 */
export function exactMatches(
  identity: Identity,
  candidates: readonly SahutContact[],
  opts: MatchOptions,
): ExactMatches {
  const unique = [...new Map(candidates.map((c) => [c.id, c])).values()];
  const result: ExactMatches = { byPhone: [], byEmail: [] };
  for (const c of unique) {
    if (identity.phone && normalisePhone(c.phone, opts.defaultRegion) === identity.phone)
      result.byPhone.push(c);
    if (identity.email && normaliseEmail(c.email) === identity.email) result.byEmail.push(c);
  }
  return result;
}

/**
 * Decides which Sahut contact a record is: none, exactly one (possibly found by
 * both keys), or ambiguous when the keys point at more than one contact. Never guesses.
 */
export function matchContact(
  identity: Identity,
  candidates: readonly SahutContact[],
  opts: MatchOptions,
): MatchResult {
  const { byPhone, byEmail } = exactMatches(identity, candidates, opts);
  const matched = new Map([...byPhone, ...byEmail].map((c) => [c.id, c]));
  const [only, ...others] = matched.values();
  if (!only) return { kind: 'none' };
  if (others.length === 0) {
    const by: ('phone' | 'email')[] = [];
    if (byPhone.length > 0) by.push('phone');
    if (byEmail.length > 0) by.push('email');
    return { kind: 'one', contact: only, by };
  }
  const parts: string[] = [];
  if (byPhone.length > 0) parts.push(`phone ${identity.phone} matches ${ids(byPhone).join(', ')}`);
  if (byEmail.length > 0) parts.push(`email ${identity.email} matches ${ids(byEmail).join(', ')}`);
  const contacts = [...matched.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { kind: 'ambiguous', candidateIds: contacts.map((c) => c.id), reason: parts.join('; '), contacts };
}

const ids = (contacts: readonly SahutContact[]) => contacts.map((c) => c.id).sort();
