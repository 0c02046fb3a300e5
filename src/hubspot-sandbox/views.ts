import { z } from 'zod';
import type { Contact } from './contacts.ts';
import { DEFAULT_PROPERTIES } from './properties.ts';

/** `properties` as the SDK sends it (repeated) or as the reference writes it (comma-separated). */
export const propertyList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    v === undefined
      ? undefined
      : [v]
          .flat()
          .flatMap((s) => s.split(','))
          .filter(Boolean),
  );

const booleanParam = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => v === 'true');

export const getQuerySchema = z.object({
  properties: propertyList,
  propertiesWithHistory: propertyList,
  archived: booleanParam,
  idProperty: z.string().optional(),
});

export const listQuerySchema = getQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  after: z.string().min(1).optional(),
});

const ALWAYS = ['hs_object_id', 'createdate', 'lastmodifieddate'];

/** A contact as HubSpot's `SimplePublicObject`: string or null values, ISO times, string id. */
export function publicObject(
  c: Contact,
  requested: readonly string[] | undefined,
  withHistory?: readonly string[],
) {
  const names = [...new Set([...(requested ?? DEFAULT_PROPERTIES), ...ALWAYS])];
  return {
    id: c.id,
    properties: Object.fromEntries(names.map((n) => [n, c.properties[n] ?? null])),
    ...(withHistory && withHistory.length > 0
      ? {
          propertiesWithHistory: Object.fromEntries(
            withHistory.map((n) => [
              n,
              (c.history[n] ?? []).map((h) => ({ ...h, timestamp: new Date(h.timestamp).toISOString() })),
            ]),
          ),
        }
      : {}),
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
    archived: c.archived,
    ...(c.archivedAt !== undefined ? { archivedAt: new Date(c.archivedAt).toISOString() } : {}),
  };
}

/** A batch answer: 200 when every input succeeded, 207 with `errors` otherwise. */
export function batchBody(results: unknown[], errors: unknown[], startedAt: Date) {
  return {
    status: 'COMPLETE',
    results,
    ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
    startedAt: startedAt.toISOString(),
    completedAt: new Date().toISOString(),
  };
}
