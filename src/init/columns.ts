import type { ColumnFacts, SourceFacts } from '../crm/index.ts';
import { canonical } from './names.ts';

/** Columns whose canonical name is in `names`, in the order of `names`. */
export function byName(columns: readonly ColumnFacts[], names: readonly string[]): ColumnFacts[] {
  return columns
    .map((c) => ({ c, rank: names.indexOf(canonical(c.name)) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .map((x) => x.c);
}

/** A column's sampled values, trimmed, empty ones left out. */
export function sampled(facts: SourceFacts, column: string): string[] {
  return facts.sample.map((row) => row[column]?.trim() ?? '').filter((v) => v !== '');
}

/** Every sampled row has a value there, and no two the same: it could name the records. */
export function distinct(facts: SourceFacts, column: string): boolean {
  const values = facts.sample.map((row) => row[column]);
  return values.every((v) => v != null && v !== '') && new Set(values).size === values.length;
}
