import { z } from 'zod';

// Shapes from the official client's models (@hubspot/api-client codegen/crm/contacts/models),
// lenient where HubSpot may add fields: only what the connector reads is required.

/** `SimplePublicObject`: string id, every property a string or null, ISO times. */
export const publicObjectSchema = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), z.string().nullable()),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().optional(),
  archivedAt: z.string().optional(),
  propertiesWithHistory: z
    .record(
      z.string(),
      z.array(z.object({ value: z.string(), timestamp: z.string(), sourceType: z.string() })),
    )
    .optional(),
  objectWriteTraceId: z.string().optional(),
});
export type PublicObject = z.infer<typeof publicObjectSchema>;

const pagingSchema = z.object({ next: z.object({ after: z.string().min(1) }).optional() }).optional();

/** `CollectionResponseSimplePublicObjectWithAssociationsForwardPaging` (list). */
export const listResponseSchema = z.object({ results: z.array(publicObjectSchema), paging: pagingSchema });

/** `CollectionResponseWithTotalSimplePublicObjectForwardPaging` (search). */
export const searchResponseSchema = listResponseSchema.extend({ total: z.number().int().nonnegative() });

/** `StandardError` inside a batch answer. */
const standardErrorSchema = z.object({
  category: z.string().optional(),
  message: z.string().optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});

/** `BatchResponseSimplePublicObjectWithErrors` (200, 201 or 207). */
export const batchResponseSchema = z.object({
  status: z.string().optional(),
  results: z.array(publicObjectSchema),
  errors: z.array(standardErrorSchema).optional(),
});
export type BatchResponse = z.infer<typeof batchResponseSchema>;

/** `Error`, and the 429 body (`policyName`); every field optional as HubSpot advises. */
export const errorBodySchema = z
  .object({
    message: z.string().optional(),
    category: z.string().optional(),
    policyName: z.string().optional(),
    errors: z.array(z.object({ context: z.record(z.string(), z.unknown()).optional() }).loose()).optional(),
  })
  .loose();
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** `POST /oauth/v2/private-apps/get/access-token-info`. */
export const tokenInfoSchema = z.object({
  hubId: z.number().optional(),
  appId: z.number().optional(),
  scopes: z.array(z.string()),
});
