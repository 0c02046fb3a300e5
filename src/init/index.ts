export {
  type FieldChoice,
  type Guess,
  type GuessInput,
  guessConnection,
  type KeyChoice,
  type Missing,
  unknownColumns,
} from './guess.ts';
export { canonical, GUESSED_FIELDS, type GuessedField } from './names.ts';
export { type ConnectionEntry, connectionsYaml, mappingYaml } from './render.ts';
export { describeGuess, describeMissing } from './report.ts';
