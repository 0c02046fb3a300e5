import { z } from 'zod';

// The sandbox reads the contract on its own: nothing here is shared with the client.
const E164 = /^\+[1-9]\d{6,14}$/;
// Deliberately lenient (one @, a dot in the domain, no spaces), like most public APIs.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

const typed = (field: string, type: string) => ({
  error: (issue: { input: unknown }) =>
    issue.input === undefined ? `${field} is required` : `${field} must be ${type}`,
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'custom attribute values must be strings, numbers, booleans or null',
});

// `null` clears an optional field: the client's ContactInput allows it, and the contract does not forbid it.
const fields = {
  name: z.string(typed('name', 'a string')).refine((s) => s.trim().length > 0, 'name must not be empty'),
  phone: z
    .string(typed('phone', 'a string'))
    .regex(E164, 'phone must be in E.164 format, e.g. +628123456789')
    .nullable(),
  email: z.string(typed('email', 'a string')).regex(EMAIL, 'email must be a valid email address').nullable(),
  company: z.string(typed('company', 'a string')).nullable(),
  tags: z.array(z.string(typed('tags', 'strings')), typed('tags', 'an array of strings')),
  custom_attributes: z.record(z.string(), scalar, typed('custom_attributes', 'an object')),
};

const body = { error: 'the body must be a JSON object' };

/** POST body: unknown fields (id, created_at …) are ignored, as they would be by a lenient API. */
export const createBodySchema = z.object(
  {
    name: fields.name,
    phone: fields.phone.optional(),
    email: fields.email.optional(),
    company: fields.company.optional(),
    tags: fields.tags.optional(),
    custom_attributes: fields.custom_attributes.optional(),
  },
  body,
);
export type CreateBody = z.infer<typeof createBodySchema>;

/** PUT body: the same fields, each optional; omitted fields stay as they are. */
export const updateBodySchema = createBodySchema.partial();
export type UpdateBody = z.infer<typeof updateBodySchema>;

const positiveInt = (field: string) =>
  z
    .string({ error: `${field} must be a positive integer` })
    .regex(/^[1-9]\d*$/, `${field} must be a positive integer`)
    .transform(Number);

export const listQuerySchema = z.object({
  q: z.string({ error: 'q must be a single string' }).optional(),
  tag: z.string({ error: 'tag must be a single string' }).optional(),
  page: positiveInt('page').optional(),
  per_page: positiveInt('per_page').optional(),
});

/** A contact as the store keeps it, in files and seeds: shapes only, no format rules (see `seed`). */
export const storedContactSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  company: z.string().nullable(),
  tags: z.array(z.string()),
  custom_attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  created_at: z.string(),
});
export type StoredContact = z.infer<typeof storedContactSchema>;

export interface FieldError {
  field: string;
  message: string;
}

/** The first issue, named by its dotted path (`phone`, `tags.1`, `custom_attributes.tier`). */
export function firstFieldError(error: z.ZodError): FieldError {
  const issue = error.issues[0];
  if (!issue) return { field: 'body', message: 'invalid request' };
  const field = issue.path.length ? issue.path.map(String).join('.') : 'body';
  return { field, message: issue.message };
}
