import type { ColumnFacts, SourceFacts } from '../crm/index.ts';
import { normaliseEmail, normalisePhone } from '../sync/index.ts';
import { byName, sampled } from './columns.ts';
import { canonical, FIELD_NAMES, IDENTITY_WORDS, NAME_PAIRS } from './names.ts';
import type { FieldChoice, GuessInput } from './types.ts';

// A column named like a phone (email) is taken when half its sampled values read as one; a column
// named otherwise only when at least 3 values were sampled and 80 % of them do.
const SAMPLE_SHARE = 0.5;
const VALUES_ONLY_SHARE = 0.8;
const VALUES_ONLY_MIN = 3;

const IDENTITY = {
  phone: { thing: 'a phone', values: 'valid phones' },
  email: { thing: 'an email', values: 'emails' },
} as const;

/**
 * The column holding phones (or emails): named like one, with sampled values
 * that agree, or else a column whose sampled values are nearly all of that kind.
 */
export function identity(
  field: 'phone' | 'email',
  columns: readonly ColumnFacts[],
  input: GuessInput,
  checks: string[],
): FieldChoice | null {
  const valid =
    field === 'phone'
      ? (v: string) => normalisePhone(v, input.region) !== null
      : (v: string) => normaliseEmail(v) !== null;
  const words = IDENTITY_WORDS[field];
  const candidates = columns.flatMap((c) => {
    const canon = canonical(c.name);
    const exact = FIELD_NAMES[field].indexOf(canon);
    const word = words.findIndex((w) => canon.split('_').includes(w));
    const values = sampled(input.facts, c.name);
    const good = values.filter(valid).length;
    const share = values.length === 0 ? null : good / values.length;
    const agrees = share === null || share >= SAMPLE_SHARE;
    const count =
      share === null
        ? 'no sampled values'
        : `${good} of ${values.length} sampled values are ${IDENTITY[field].values}`;
    if (exact >= 0)
      return [{ c, score: 3000 - exact, why: `named like ${IDENTITY[field].thing}; ${count}`, sure: agrees }];
    if (word >= 0 && agrees)
      return [
        { c, score: 2000 - word, why: `named like ${IDENTITY[field].thing}; ${count}`, sure: share !== null },
      ];
    if (share !== null && values.length >= VALUES_ONLY_MIN && share >= VALUES_ONLY_SHARE)
      return [{ c, score: 1000 + share * 100, why: `its values: ${count}`, sure: false }];
    return [];
  });
  candidates.sort((a, b) => b.score - a.score);
  const [best, ...others] = candidates;
  if (best === undefined) return null;
  if (others.length > 0)
    checks.push(
      `${others.map((o) => o.c.name).join(', ')} also look${others.length > 1 ? '' : 's'} like ${IDENTITY[field].thing}; ` +
        `Sahut keeps one: to use another, --field ${field}=<column>`,
    );
  return { key: field, from: [best.c.name], why: best.why, sure: best.sure };
}

export function guessName(columns: readonly ColumnFacts[], checks: string[]): FieldChoice | null {
  const single = named('name', columns);
  if (single) return single;
  const names = new Map(columns.map((c) => [canonical(c.name), c.name]));
  for (const [first, last] of NAME_PAIRS) {
    const a = names.get(first);
    const b = names.get(last);
    if (a !== undefined && b !== undefined)
      return {
        key: 'name',
        from: [a, b],
        transform: 'concat',
        separator: ' ',
        why: 'first and last name columns',
        sure: true,
      };
    if (a !== undefined) {
      checks.push(`the name comes from ${a} alone: no last-name column was found`);
      return { key: 'name', from: [a], why: 'a first-name column', sure: false };
    }
  }
  return null;
}

export function named(
  field: 'name' | 'company' | 'tags',
  columns: readonly ColumnFacts[],
): FieldChoice | null {
  const found = byName(columns, FIELD_NAMES[field])[0];
  return found
    ? {
        key: field,
        from: [found.name],
        why: `named like ${field === 'tags' ? 'tags' : `a ${field}`}`,
        sure: true,
      }
    : null;
}

export function guessTags(columns: readonly ColumnFacts[], facts: SourceFacts): FieldChoice | null {
  const tags = named('tags', columns);
  if (tags === null) return null;
  const [column = ''] = tags.from;
  const text = sampled(facts, column)
    .filter((v) => !v.startsWith('['))
    .join('');
  const [top] = [';', ',', '|'].map((s) => ({ s, n: text.split(s).length - 1 })).sort((a, b) => b.n - a.n);
  const separator = top !== undefined && top.n > 0 ? top.s : ',';
  return { ...tags, transform: 'split', separator, why: `${tags.why}; split on "${separator}"` };
}
