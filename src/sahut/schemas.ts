import { z } from 'zod';
import type { AttrValue } from '../domain/index.ts';
import type { ListPage, SahutContact } from './types.ts';

// Lenient where the contract is vague, strict where the worker relies on a field:
// extra fields are dropped; a missing optional field becomes its empty value.
const attrValue: z.ZodType<AttrValue> = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

export const contactSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  phone: nullableString,
  email: nullableString,
  company: nullableString,
  tags: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  // The contract's list example omits it.
  custom_attributes: z
    .record(z.string(), attrValue)
    .nullish()
    .transform((v) => v ?? {}),
  created_at: z.string(),
}) satisfies z.ZodType<SahutContact>;

export const oneContactSchema = z.object({ data: contactSchema });

const count = z.number().int().nonnegative();
export const listPageSchema = z.object({
  data: z.array(contactSchema),
  meta: z.object({ total: count, page: count, per_page: count, total_pages: count }),
}) satisfies z.ZodType<ListPage>;

/** `data[0].id: Invalid input: expected string, received undefined` (first three issues). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, key) =>
          typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
        '',
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
