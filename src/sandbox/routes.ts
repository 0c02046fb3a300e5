import type { FastifyInstance } from 'fastify';
import type { ContactStore } from './contact-store.ts';
import { errorBody } from './http-errors.ts';
import {
  createBodySchema,
  firstFieldError,
  listQuerySchema,
  type StoredContact,
  updateBodySchema,
} from './validation.ts';

// Contract: "Default: 25. Max: 100." It does not say whether a larger value is an
// error; like most APIs the sandbox clamps it to 100 (and says so in `meta.per_page`).
const DEFAULT_PER_PAGE = 25;
const MAX_PER_PAGE = 100;

export interface RouteOptions {
  store: ContactStore;
  /** Drop `custom_attributes` from list items, as the contract's list example does. */
  listWithoutCustomAttributes: boolean;
}

const notFound = (id: string) => errorBody('not_found', `contact ${id} not found`);
const invalid = (error: Parameters<typeof firstFieldError>[0]) => {
  const { field, message } = firstFieldError(error);
  return errorBody('validation_failed', message, field);
};

/** The four contact routes, registered under the `/v1` prefix. */
export function contactRoutes({ store, listWithoutCustomAttributes }: RouteOptions) {
  const listItem = listWithoutCustomAttributes
    ? ({ custom_attributes: _, ...rest }: StoredContact) => rest
    : (c: StoredContact) => c;

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/contacts', async (request, reply) => {
      const parsed = listQuerySchema.safeParse(request.query);
      if (!parsed.success) return reply.code(422).send(invalid(parsed.error));
      const { q, tag, page = 1 } = parsed.data;
      const perPage = Math.min(parsed.data.per_page ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
      const { data, total } = store.list({ q, tag, page, perPage });
      return {
        data: data.map(listItem),
        meta: { total, page, per_page: perPage, total_pages: Math.ceil(total / perPage) },
      };
    });

    app.get<{ Params: { id: string } }>('/contacts/:id', async (request, reply) => {
      const contact = store.get(request.params.id);
      return contact ? { data: contact } : reply.code(404).send(notFound(request.params.id));
    });

    app.post('/contacts', async (request, reply) => {
      const parsed = createBodySchema.safeParse(request.body);
      if (!parsed.success) return reply.code(422).send(invalid(parsed.error));
      return reply.code(201).send({ data: store.create(parsed.data) });
    });

    app.put<{ Params: { id: string } }>('/contacts/:id', async (request, reply) => {
      const { id } = request.params;
      if (!store.get(id)) return reply.code(404).send(notFound(id));
      const parsed = updateBodySchema.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(422).send(invalid(parsed.error));
      return { data: store.update(id, parsed.data) };
    });
  };
}
