import { guessName, guessTags, identity, named } from './fields.ts';
import { guessCursor, guessId } from './keys.ts';
import type { GuessedField } from './names.ts';
import type { FieldChoice, Guess, GuessInput, Missing } from './types.ts';

export type { FieldChoice, Guess, GuessInput, KeyChoice, Missing } from './types.ts';

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
