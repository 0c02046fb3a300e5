import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type ContactStore, compareIds, WriteRefused } from './contacts.ts';
import { hubspotError, notFoundBody, validationError } from './errors.ts';
import { runSearch, searchLimitError, searchRequestSchema } from './search.ts';
import { batchBody, getQuerySchema, listQuerySchema, publicObject } from './views.ts';

export const CONTACTS = '/crm/v3/objects/contacts';
const BATCH_MAX = 100;

const propertiesSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((v) => (v === null ? '' : String(v))),
);
const createSchema = z.object({
  properties: propertiesSchema,
  associations: z.array(z.unknown()).optional(),
});
const updateSchema = z.object({ properties: propertiesSchema });
const batchReadSchema = z.object({
  inputs: z.array(z.object({ id: z.string() })).max(BATCH_MAX),
  properties: z.array(z.string()).optional(),
  propertiesWithHistory: z.array(z.string()).optional(),
  idProperty: z.string().optional(),
});
const batchCreateSchema = z.object({
  inputs: z.array(createSchema.extend({ objectWriteTraceId: z.string().optional() })).max(BATCH_MAX),
});
const batchUpdateSchema = z.object({
  inputs: z.array(updateSchema.extend({ id: z.string(), idProperty: z.string().optional() })).max(BATCH_MAX),
});
const mergeSchema = z.object({ primaryObjectId: z.string(), objectIdToMerge: z.string() });

const invalid = (reply: FastifyReply, error: z.ZodError) =>
  reply
    .code(400)
    .send(
      validationError(
        `Invalid input JSON: ${error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; ')}`,
      ),
    );
const refused = (reply: FastifyReply, err: unknown) => {
  if (!(err instanceof WriteRefused)) throw err;
  return reply.code(err.status).send(hubspotError(err.category, err.message));
};
const missing = (ids: string[]) =>
  hubspotError(
    'OBJECT_NOT_FOUND',
    'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
    { status: 'error', context: { ids } },
  );

/** The v3 contacts endpoints the connector and `@hubspot/api-client` call, with HubSpot's status codes. */
export function contactRoutes(store: ContactStore) {
  const byIdProperty = (id: string, idProperty: string | undefined, archived = false) =>
    idProperty === 'email'
      ? store.byEmail(id)
      : idProperty === undefined || idProperty === 'hs_object_id'
        ? store.get(id, archived)
        : undefined;

  return async (app: FastifyInstance): Promise<void> => {
    app.get(CONTACTS, async (request, reply) => {
      const q = listQuerySchema.safeParse(request.query);
      if (!q.success) return invalid(reply, q.error);
      const all = store.list(q.data.archived);
      // The token is the next record's id, as HubSpot's list tokens are: a page resumes at it even if it was deleted.
      const { after } = q.data;
      const start = after === undefined ? 0 : all.findIndex((c) => compareIds(c.id, after) >= 0);
      const from = start < 0 ? all.length : start;
      const page = all.slice(from, from + q.data.limit);
      const next = all[from + q.data.limit];
      return {
        results: page.map((c) => publicObject(c, q.data.properties, q.data.propertiesWithHistory)),
        ...(next ? { paging: { next: { after: next.id, link: `${CONTACTS}?after=${next.id}` } } } : {}),
      };
    });

    app.get<{ Params: { id: string } }>(`${CONTACTS}/:id`, async (request, reply) => {
      const q = getQuerySchema.safeParse(request.query);
      if (!q.success) return invalid(reply, q.error);
      const found = byIdProperty(request.params.id, q.data.idProperty, q.data.archived);
      if (!found) return reply.code(404).send(notFoundBody(request.params.id));
      return publicObject(found, q.data.properties, q.data.propertiesWithHistory);
    });

    app.post(CONTACTS, async (request, reply) => {
      const body = createSchema.safeParse(request.body);
      if (!body.success) return invalid(reply, body.error);
      try {
        return reply
          .code(201)
          .send(publicObject(store.create(body.data.properties), Object.keys(body.data.properties)));
      } catch (err) {
        return refused(reply, err);
      }
    });

    app.patch<{ Params: { id: string } }>(`${CONTACTS}/:id`, async (request, reply) => {
      const body = updateSchema.safeParse(request.body);
      if (!body.success) return invalid(reply, body.error);
      try {
        return publicObject(
          store.update(request.params.id, body.data.properties),
          Object.keys(body.data.properties),
        );
      } catch (err) {
        return refused(reply, err);
      }
    });

    app.delete<{ Params: { id: string } }>(`${CONTACTS}/:id`, async (request, reply) => {
      store.archive(request.params.id);
      return reply.code(204).send();
    });

    app.post(`${CONTACTS}/batch/read`, async (request, reply) => {
      const started = new Date();
      const body = batchReadSchema.safeParse(request.body);
      if (!body.success) return invalid(reply, body.error);
      const archived = (request.query as { archived?: string }).archived === 'true';
      const results = [];
      const misses = [];
      for (const { id } of body.data.inputs) {
        const found = byIdProperty(id, body.data.idProperty, archived);
        if (found) results.push(publicObject(found, body.data.properties, body.data.propertiesWithHistory));
        else misses.push(id);
      }
      const errors = misses.length > 0 ? [missing(misses)] : [];
      return reply.code(errors.length > 0 ? 207 : 200).send(batchBody(results, errors, started));
    });

    app.post(`${CONTACTS}/batch/create`, async (request, reply) => {
      const started = new Date();
      const body = batchCreateSchema.safeParse(request.body);
      if (!body.success) return invalid(reply, body.error);
      const partial = body.data.inputs.every((i) => i.objectWriteTraceId !== undefined);
      const results = [];
      const errors = [];
      for (const input of body.data.inputs) {
        try {
          const created = store.create(input.properties);
          results.push({
            ...publicObject(created, Object.keys(input.properties)),
            ...(input.objectWriteTraceId ? { objectWriteTraceId: input.objectWriteTraceId } : {}),
          });
        } catch (err) {
          if (!(err instanceof WriteRefused)) throw err;
          // Without a trace id on every input HubSpot fails the call on the first bad input.
          if (!partial) return reply.code(err.status).send(hubspotError(err.category, err.message));
          errors.push({
            ...hubspotError(err.category, err.message),
            context: { objectWriteTraceId: [input.objectWriteTraceId] },
          });
        }
      }
      return reply.code(errors.length > 0 ? 207 : 201).send(batchBody(results, errors, started));
    });

    app.post(`${CONTACTS}/batch/update`, async (request, reply) => {
      const started = new Date();
      const body = batchUpdateSchema.safeParse(request.body);
      if (!body.success) return invalid(reply, body.error);
      const results = [];
      const errors = [];
      for (const input of body.data.inputs) {
        try {
          results.push(publicObject(store.update(input.id, input.properties), Object.keys(input.properties)));
        } catch (err) {
          if (!(err instanceof WriteRefused)) throw err;
          errors.push(
            err.status === 404
              ? missing([input.id])
              : { ...hubspotError(err.category, err.message), context: { ids: [input.id] } },
          );
        }
      }
      return reply.code(errors.length > 0 ? 207 : 200).send(batchBody(results, errors, started));
    });

    app.post(`${CONTACTS}/search`, async (request, reply) => {
      const body = searchRequestSchema.safeParse(request.body ?? {});
      if (!body.success) return invalid(reply, body.error);
      const limitError = searchLimitError(body.data, JSON.stringify(request.body).length);
      if (limitError) return reply.code(400).send(validationError(limitError));
      const { total, page, next } = runSearch(store.searchable(), body.data);
      return {
        total,
        results: page.map((c) => publicObject(c, body.data.properties)),
        ...(next ? { paging: { next: { after: next } } } : {}),
      };
    });

    app.post(`${CONTACTS}/merge`, async (request, reply) => {
      const body = mergeSchema.safeParse(request.body);
      if (!body.success) return invalid(reply, body.error);
      try {
        return publicObject(store.merge(body.data.primaryObjectId, body.data.objectIdToMerge), undefined);
      } catch (err) {
        return refused(reply, err);
      }
    });
  };
}
