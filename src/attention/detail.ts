import { z } from 'zod';
import { contactSchema } from '../domain/index.ts';

// The audit detail of each kind, read leniently: rows written before a field existed
// (or by another writer) still show what they have.

const ambiguitySchema = z.object({
  candidates: z.array(z.string()).catch([]),
  crm: contactSchema.nullable().catch(null).default(null),
  contacts: z
    .array(contactSchema.extend({ id: z.string() }))
    .catch([])
    .default([]),
});
export type Ambiguity = z.infer<typeof ambiguitySchema>;

const conflictSchema = z.object({
  field: z.string(),
  base: z.unknown(),
  crm: z.unknown(),
  sahut: z.unknown(),
  resolution: z.string(),
});
export type Conflict = z.infer<typeof conflictSchema>;

const heldBackSchema = z.object({
  field: z.string(),
  value: z.string(),
  heldBy: z.object({ crmId: z.string(), sahutId: z.string() }),
});

const conflictsSchema = z.object({
  conflicts: z.array(conflictSchema).catch([]).default([]),
  heldBack: z.array(heldBackSchema).catch([]).default([]),
});

const pairSchema = z.object({ pair: z.tuple([z.string(), z.string()]), by: z.string().catch('') });

export function ambiguityOf(detail: unknown): Ambiguity {
  return ambiguitySchema.safeParse(detail).data ?? { candidates: [], crm: null, contacts: [] };
}

/** The fields both sides changed (resolved by the owners) and the identities held back from the CRM. */
export function conflictsOf(detail: unknown): Conflict[] {
  return conflictsSchema.safeParse(detail).data?.conflicts ?? [];
}

export function heldBackOf(detail: unknown) {
  return conflictsSchema.safeParse(detail).data?.heldBack ?? [];
}

export function pairOf(detail: unknown): { pair: [string, string]; by: string } | null {
  return pairSchema.safeParse(detail).data ?? null;
}

/** `invalid phone "12345": not a valid number …` → the field and the value the CRM holds. */
export function offendingValue(reason: string | null): { field: string; value: string } | null {
  const found = /\binvalid (phone|email) ("(?:[^"\\]|\\.)*")/.exec(reason ?? '');
  if (!found) return null;
  try {
    return { field: found[1] as string, value: JSON.parse(found[2] as string) as string };
  } catch {
    return null;
  }
}
