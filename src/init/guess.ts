import type { ColumnFacts, SourceFacts } from '../crm/index.ts';
import { normaliseEmail, normalisePhone } from '../sync/index.ts';
import {
  CURSOR_NAMES,
  CURSOR_WORDS,
  canonical,
  FIELD_NAMES,
  type GuessedField,
  ID_NAMES,
  IDENTITY_WORDS,
  NAME_PAIRS,
} from './names.ts';

export interface GuessInput {
  facts: SourceFacts;
  /** Database sources are read by a cursor column; files are read whole. */
  needsCursor: boolean;
  /** DEFAULT_PHONE_REGION: sampled values are read as phones the way a run reads them. */
  region: string;
  /** Given with `--field key=column[,column]`: taken as is, never guessed. */
  fields?: Readonly<Record<string, readonly string[]>>;
  idColumn?: string | undefined;
  cursorColumn?: string | undefined;
}

/** One line of the mapping: a Sahut field and the columns that fill it. */
export interface FieldChoice {
  key: string;
  from: string[];
  transform?: 'concat' | 'split';
  separator?: string;
  /** What the guess rests on, e.g. `named like a phone; 19 of 20 sampled values are phones`. */
  why: string;
  /** False when a person should look twice (values only, or values that disagree with the name). */
  sure: boolean;
}

export interface KeyChoice {
  column: string;
  why: string;
  sure: boolean;
}

/** Something init could not decide; the flag settles it. */
export interface Missing {
  what: string;
  flag: string;
  why: string;
}

export interface Guess {
  fields: FieldChoice[];
  id: KeyChoice | null;
  cursor: (KeyChoice & { indexed: boolean | null }) | null;
  /** Columns nothing reads. */
  unmapped: string[];
  /** What a person should check, beside the guesses marked unsure. */
  checks: string[];
  /** Nothing is written while this is not empty. */
  missing: Missing[];
}

const SAMPLE_SHARE = 0.5;
const VALUES_ONLY_SHARE = 0.8;
const VALUES_ONLY_MIN = 3;

/** Guesses a connection's id and cursor columns and its mapping from a source's columns and sampled rows. */
export function guessConnection(input: GuessInput): Guess {
  const { facts } = input;
  const checks: string[] = [];
  const missing: Missing[] = [];
  const given = input.fields ?? {};

  const id = guessId(input, missing);
  const cursor = input.needsCursor ? guessCursor(input, checks, missing) : null;
  const claimed = new Set([id?.column, cursor?.column].filter((c): c is string => c !== undefined));
  const fields: FieldChoice[] = [];
  const take = (choice: FieldChoice | null) => {
    if (choice === null) return;
    fields.push(choice);
    for (const column of choice.from) claimed.add(column);
  };

  for (const [key, from] of Object.entries(given)) take(givenField(key, from));
  const open = (field: GuessedField) => !(field in given);
  const free = () => facts.columns.filter((c) => !claimed.has(c.name) && !c.temporal);
  if (open('email')) take(identity('email', free(), input, checks));
  if (open('phone')) take(identity('phone', free(), input, checks));
  if (open('name')) take(guessName(free(), checks));
  if (open('company')) take(named('company', free()));
  if (open('tags')) take(guessTags(free(), facts));

  const has = (key: string) => fields.some((f) => f.key === key);
  if (!has('name'))
    missing.push({
      what: 'the name',
      flag: '--field name=<column> (or --field name=<first>,<last>)',
      why: 'Sahut needs a name to create a contact; no column is named like one',
    });
  if (!has('phone') && !has('email'))
    missing.push({
      what: 'a phone or an email',
      flag: '--field phone=<column> and/or --field email=<column>',
      why: 'records are matched to Sahut contacts by phone and email; no column is named like one or holds them',
    });

  const unmapped = facts.columns.map((c) => c.name).filter((c) => !claimed.has(c));
  return { fields, id, cursor, unmapped, checks, missing };
}

/** The flags' columns that the source does not have. */
export function unknownColumns(input: GuessInput): string[] {
  const known = new Set(input.facts.columns.map((c) => c.name));
  const named = [...Object.values(input.fields ?? {}).flat(), input.idColumn, input.cursorColumn];
  return named.filter((c): c is string => c !== undefined && !known.has(c));
}

function givenField(key: string, from: readonly string[]): FieldChoice {
  const choice: FieldChoice = { key, from: [...from], why: 'given with --field', sure: true };
  if (from.length > 1) return { ...choice, transform: 'concat', separator: ' ' };
  return choice;
}

function guessId(input: GuessInput, missing: Missing[]): KeyChoice | null {
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

function guessCursor(input: GuessInput, checks: string[], missing: Missing[]): Guess['cursor'] {
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

const IDENTITY = {
  phone: { thing: 'a phone', values: 'valid phones' },
  email: { thing: 'an email', values: 'emails' },
} as const;

/**
 * The column holding phones (or emails): named like one, with sampled values
 * that agree, or else a column whose sampled values are nearly all of that kind.
 */
function identity(
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

function guessName(columns: readonly ColumnFacts[], checks: string[]): FieldChoice | null {
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

function named(field: 'name' | 'company' | 'tags', columns: readonly ColumnFacts[]): FieldChoice | null {
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

function guessTags(columns: readonly ColumnFacts[], facts: SourceFacts): FieldChoice | null {
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

/** Columns whose canonical name is in `names`, in the order of `names`. */
function byName(columns: readonly ColumnFacts[], names: readonly string[]): ColumnFacts[] {
  return columns
    .map((c) => ({ c, rank: names.indexOf(canonical(c.name)) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .map((x) => x.c);
}

function sampled(facts: SourceFacts, column: string): string[] {
  return facts.sample.map((row) => row[column]?.trim() ?? '').filter((v) => v !== '');
}

function distinct(facts: SourceFacts, column: string): boolean {
  const values = facts.sample.map((row) => row[column]);
  return values.every((v) => v != null && v !== '') && new Set(values).size === values.length;
}
