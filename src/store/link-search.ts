import { StoreArgumentError } from './errors.ts';
import type { Link, LinkSearch } from './types.ts';

/** One branch of a link search, with the value it binds; each is a query of its own. */
export type SearchBranch =
  | { kind: 'phonePrefix'; prefix: string /** exclusive upper bound, null when none */; below: string | null }
  | { kind: 'phoneDigits' | 'emailPart' | 'namePart'; needle: string };

const MIN = { phoneDigits: 4, emailPart: 3, namePart: 2 } as const;

/**
 * The branches `search` asks for, checked: a prefix is `+` and 2 to 15 digits,
 * digits are digits, and each part is long enough that it does not match half
 * the table. Needles are lower-cased here so both backends compare alike.
 */
export function searchBranches(search: LinkSearch): SearchBranch[] {
  const branches: SearchBranch[] = [];
  if (search.phonePrefix !== undefined) {
    if (!/^\+\d{2,15}$/.test(search.phonePrefix))
      throw new StoreArgumentError('A phone prefix is + and 2 to 15 digits');
    branches.push({ kind: 'phonePrefix', prefix: search.phonePrefix, below: nextPrefix(search.phonePrefix) });
  }
  if (search.phoneDigits !== undefined) {
    if (!/^\d+$/.test(search.phoneDigits) || search.phoneDigits.length < MIN.phoneDigits)
      throw new StoreArgumentError(`Phone digits must be at least ${MIN.phoneDigits} digits`);
    branches.push({ kind: 'phoneDigits', needle: search.phoneDigits });
  }
  for (const kind of ['emailPart', 'namePart'] as const) {
    const value = search[kind]?.trim().toLowerCase();
    if (value === undefined) continue;
    if (value.length < MIN[kind])
      throw new StoreArgumentError(`A search text must be at least ${MIN[kind]} characters`);
    branches.push({ kind, needle: value });
  }
  return branches;
}

/**
 * The smallest string above every string that starts with `prefix` (`+62812` →
 * `+62813`, `+6289` → `+629`), or null when there is none (`+999`). Phones are
 * `+` and digits, which every collation orders digit by digit, so
 * `prefix <= phone < next` selects them from the phone index on both backends.
 */
export function nextPrefix(prefix: string): string | null {
  const digits = prefix.slice(1).replace(/9+$/, '');
  if (digits === '') return null;
  return `+${digits.slice(0, -1)}${Number(digits.at(-1)) + 1}`;
}

/** Merges the branches' results: one link once, in (connection, crm id) order, at most `limit`. */
export function mergeLinks(results: readonly Link[][], limit: number): Link[] {
  const byKey = new Map<string, Link>();
  for (const link of results.flat()) byKey.set(`${link.connection}\u0000${link.crmId}`, link);
  return [...byKey.values()]
    .sort((a, b) => compare(a.connection, b.connection) || compare(a.crmId, b.crmId))
    .slice(0, limit);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
