import type { SourceFacts } from '../crm/index.ts';

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
