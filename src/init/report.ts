import type { SourceFacts } from '../crm/index.ts';
import type { Guess } from './guess.ts';

/**
 * What init read and guessed, for a person to check: one line per choice
 * (`?` marks those to look at twice), then the columns nothing reads.
 * Counts only, never a sampled value: they are personal data.
 */
export function describeGuess(
  facts: SourceFacts,
  guess: Guess,
  indexHint: (column: string) => string,
): string {
  const lines = [
    `Read ${facts.label} (${facts.relation}): ${facts.columns.length} columns, ${facts.sample.length} sampled rows.`,
  ];
  if (facts.sample.length === 0) lines.push('It holds no rows: every guess rests on column names alone.');
  const rows: [string, string, string, boolean][] = guess.fields.map((f) => [
    f.key,
    f.from.join(' + '),
    f.why,
    f.sure,
  ]);
  if (guess.id) rows.push(['id', guess.id.column, guess.id.why, guess.id.sure]);
  if (guess.cursor) {
    const { column, why, sure, indexed } = guess.cursor;
    const index = indexed === null ? '' : indexed ? '; indexed' : '; NOT indexed';
    rows.push(['cursor', column, `${why}${index}`, sure]);
  }
  const width = (i: 0 | 1) => Math.max(...rows.map((r) => r[i].length));
  lines.push(
    '',
    ...rows.map(([key, from, why, sure]) =>
      `  ${sure ? ' ' : '?'} ${key.padEnd(width(0))}  ← ${from.padEnd(width(1))}  ${why}`.trimEnd(),
    ),
  );
  if (guess.unmapped.length > 0) lines.push(`    not read: ${guess.unmapped.join(', ')}`);

  const checks = [...guess.checks];
  if (rows.some((r) => !r[3])) checks.unshift('lines marked ? were guessed from weak evidence: confirm them');
  if (guess.cursor?.indexed === false)
    checks.push(
      `${guess.cursor.column} has no index: every run then scans the whole table; ${indexHint(guess.cursor.column)}`,
    );
  if (guess.cursor?.indexed === null && facts.relation === 'view')
    checks.push(`a view: make sure the table behind it has an index on ${guess.cursor.column}`);
  if (checks.length > 0) lines.push('', 'Check:', ...checks.map((c) => `  - ${c}`));
  return `${lines.join('\n')}\n`;
}

/** Why nothing was written, and the flags that settle it. */
export function describeMissing(facts: SourceFacts, guess: Guess): string {
  const columns = facts.columns.map((c) => `${c.name} (${c.type})`).join(', ');
  return [
    'Could not tell:',
    ...guess.missing.flatMap((m) => [`  - ${m.what}: ${m.why}`, `    give it with ${m.flag}`]),
    `Columns of ${facts.label}: ${columns || 'none'}.`,
    'Nothing was written. Run init again with the flags above.',
    '',
  ].join('\n');
}
