import { z } from 'zod';
import { DIRECTIONS } from '../../domain/index.ts';
import { AUDIT_ACTIONS } from '../../store/index.ts';
import { httpError } from '../errors/catalogue.ts';

export const text = z.string().trim().min(1).max(200);
export const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'expected an ISO 8601 date or date-time',
  })
  .transform((s) => new Date(s));
/** Cursors are audit ids (positive integers), handed back verbatim. */
export const cursor = z.string().regex(/^[1-9]\d{0,17}$/, 'expected a cursor returned by a previous page');

export const runsQuerySchema = z.strictObject({
  limit: int(1, 500, 50),
  connection: text.optional(),
  direction: z.enum(DIRECTIONS).optional(),
});

export const auditQuerySchema = z.strictObject({
  crm_id: text.optional(),
  sahut_id: text.optional(),
  run: text.optional(),
  connection: text.optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  since: instant.optional(),
  until: instant.optional(),
  limit: int(1, 1000, 100),
  cursor: cursor.optional(),
});

export const runParamsSchema = z.strictObject({ id: text });

/**
 * Parses a query string (or route params) with `schema`; a bad value is a
 * 400 that names the parameter and what was expected, without echoing it.
 */
export function parseQuery<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown parameter ${issue.keys.join(', ')}`;
    const name = issue.path.map(String).join('.') || 'query';
    return `${name}: ${issue.code === 'invalid_type' ? 'expected a single value' : issue.message}`;
  });
  throw httpError('BAD_QUERY', `Invalid query: ${problems.join('; ')}`);
}
