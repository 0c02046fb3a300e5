import { z } from 'zod';
import type { SourceConfig } from '../crm/index.ts';
import type { Direction } from '../domain/index.ts';
import type { Mapping } from '../mapping/index.ts';

const columnValue = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'expected a string, number, boolean or null',
});

/**
 * `options.createInCrm`: which Sahut contacts that no CRM record links to
 * ("walk-ins") a sahut-to-crm run creates in the CRM, and the values of CRM
 * columns the mapping cannot fill (required columns, a status…).
 * `all` is short for `{ all: true }`.
 */
export const createInCrmSchema = z.preprocess(
  (value) => (value === 'all' ? { all: true } : value),
  z
    .object(
      {
        /** Every walk-in. */
        all: z.literal(true).optional(),
        /** Walk-ins carrying any of these tags (compared case-insensitively). */
        tags: z.array(z.string().trim().min(1)).min(1).optional(),
        /** Column → value of every new CRM record; a mapped column takes it only when the contact has no value. */
        defaults: z.record(z.string().min(1), columnValue).default({}),
      },
      { error: 'expected all, or { tags: [...], defaults: {...} }' },
    )
    .strict()
    .refine((o) => (o.all === true) !== (o.tags !== undefined), {
      message: 'set either all: true or tags: [...] (which walk-ins to create)',
    })
    .transform((o) => ({ tags: o.tags ? o.tags.map((t) => t.toLowerCase()) : null, defaults: o.defaults })),
);
export type CreateInCrm = z.output<typeof createInCrmSchema>;

type Problem = { path: (string | number)[]; message: string };

/** Rules that span the connection: the direction that creates, a source that can, columns it may fill. */
export function createInCrmProblems(c: {
  source: SourceConfig;
  directions: readonly Direction[];
  options: { createInCrm?: CreateInCrm | undefined };
}): Problem[] {
  const option = c.options.createInCrm;
  if (!option) return [];
  const at = ['options', 'createInCrm'];
  const problems: Problem[] = [];
  if (!c.directions.includes('sahut-to-crm'))
    problems.push({
      path: at,
      message: 'walk-ins are created by sahut-to-crm runs: add sahut-to-crm to directions',
    });
  if (c.source.type === 'file') {
    problems.push({
      path: at,
      message: 'a file source cannot create records: use a postgres or mysql source',
    });
    return problems;
  }
  // HubSpot sets its id and modification time itself, and refuses writes to them.
  if (c.source.type === 'hubspot') return problems;
  for (const column of [c.source.idColumn, c.source.cursorColumn]) {
    if (Object.hasOwn(option.defaults, column))
      problems.push({
        path: [...at, 'defaults', column],
        message: 'the id and cursor columns are set by the database and the connector, not by defaults',
      });
  }
  return problems;
}

/**
 * Walk-ins are matched against CRM rows by a lookup on the phone's and the
 * email's columns; an email built from several columns cannot be looked up.
 */
export function createInCrmMappingProblem(mapping: Mapping): string | null {
  const email = mapping.fields.find((rule) => rule.key === 'email');
  if (email && email.from.length !== 1)
    return 'walk-ins are matched against CRM rows by their email column: map email from exactly one column';
  const phone = mapping.fields.find((rule) => rule.key === 'phone');
  if (phone && phone.from.length === 0)
    return 'walk-ins are matched against CRM rows by their phone columns: map phone from a column, not a constant';
  return null;
}
