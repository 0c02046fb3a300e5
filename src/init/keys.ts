import { byName, distinct } from './columns.ts';
import { CURSOR_NAMES, CURSOR_WORDS, canonical, ID_NAMES } from './names.ts';
import type { Guess, GuessInput, KeyChoice, Missing } from './types.ts';

/** The column naming each record: the primary key, or a unique column named like an id. */
export function guessId(input: GuessInput, missing: Missing[]): KeyChoice | null {
  const { facts } = input;
  if (input.idColumn !== undefined)
    return { column: input.idColumn, why: 'given with --id-column', sure: true };
  const [only, ...more] = facts.primaryKey;
  if (only !== undefined && more.length === 0) return { column: only, why: 'primary key', sure: true };
  const candidate = byName(facts.columns, ID_NAMES).find((c) => distinct(facts, c.name));
  if (candidate && facts.primaryKey.length === 0) {
    const why = `named like an id, ${facts.relation === 'file' ? 'unique' : 'not a primary key; unique'} in the sample`;
    return { column: candidate.name, why, sure: facts.relation === 'file' };
  }
  missing.push({
    what: 'the id column',
    flag: '--id-column <column>',
    why:
      facts.primaryKey.length > 1
        ? `the primary key has ${facts.primaryKey.length} columns (${facts.primaryKey.join(', ')}); sahut-sync needs one column naming each record`
        : 'no primary key and no column named like an id with unique values',
  });
  return null;
}

/** The timestamp column bumped on every change, and whether an index serves it. */
export function guessCursor(input: GuessInput, checks: string[], missing: Missing[]): Guess['cursor'] {
  const { facts } = input;
  const indexed = (column: string) => (facts.indexed === null ? null : facts.indexed.includes(column));
  if (input.cursorColumn !== undefined) {
    const column = facts.columns.find((c) => c.name === input.cursorColumn);
    if (column && !column.temporal)
      checks.push(
        `${column.name} is not a timestamp: it must still grow on every change; the overlap (cursorOverlap) does not apply to it`,
      );
    return {
      column: input.cursorColumn,
      why: 'given with --cursor-column',
      sure: true,
      indexed: indexed(input.cursorColumn),
    };
  }
  const stamps = facts.columns.filter((c) => c.temporal);
  const exact = byName(stamps, CURSOR_NAMES)[0];
  const hinted = stamps.find((c) => CURSOR_WORDS.test(canonical(c.name)));
  const found = exact ?? hinted;
  if (found) {
    const why = exact ? 'timestamp named like a last-change time' : 'timestamp whose name says it changes';
    return { column: found.name, why, sure: exact !== undefined, indexed: indexed(found.name) };
  }
  missing.push({
    what: 'the cursor column',
    flag: '--cursor-column <column>',
    why:
      stamps.length === 0
        ? 'no timestamp column: runs read rows in the order of a column bumped on every change (add one, e.g. updated_at)'
        : `no timestamp named like a last-change time (${stamps.map((c) => c.name).join(', ')}): a creation time misses edits`,
  });
  return null;
}
