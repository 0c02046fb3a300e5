import { z } from 'zod';

/** The fields sahut-sync manages on both sides, in Sahut's vocabulary. */
export const CONTACT_FIELDS = ['name', 'phone', 'email', 'company', 'tags', 'custom_attributes'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export const attrValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type AttrValue = z.infer<typeof attrValueSchema>;

/**
 * Canonical contact: a key that is absent is not managed by the mapping (never
 * compared, never written); `null` means "managed and empty".
 */
export const contactSchema = z.object({
  name: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  company: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  custom_attributes: z.record(z.string(), attrValueSchema).optional(),
});
export type Contact = z.infer<typeof contactSchema>;

/** A field-level change, keyed by field (`custom_attributes.<key>` for attributes). */
export type FieldDiff = Record<string, { before: unknown; after: unknown }>;

export type Direction = 'crm-to-sahut' | 'sahut-to-crm';
export const DIRECTIONS = ['crm-to-sahut', 'sahut-to-crm'] as const satisfies readonly Direction[];
