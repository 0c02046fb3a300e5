import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ContactStore } from './contact-store.ts';
import { errorBody } from './http-errors.ts';

/** Where the test-only routes live, under `/v1`: not part of Sahut's contract. */
export const ADMIN_PATH = '/_admin';

const mergeBodySchema = z.object({ survivor: z.string().min(1), absorbed: z.string().min(1) });

/**
 * What an agent can do in Sahut's inbox but the API cannot: delete a contact,
 * merge two. Registered only when the sandbox is built with `admin: true`
 * (`sahut-sync sandbox --admin`), so tests cause disappearances over real HTTP.
 */
export function adminRoutes(store: ContactStore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.delete<{ Params: { id: string } }>(`${ADMIN_PATH}/contacts/:id`, async (request, reply) => {
      const { id } = request.params;
      if (!store.remove(id)) return reply.code(404).send(errorBody('not_found', `contact ${id} not found`));
      return reply.code(204).send();
    });

    app.post(`${ADMIN_PATH}/merges`, async (request, reply) => {
      const parsed = mergeBodySchema.safeParse(request.body);
      if (!parsed.success)
        return reply
          .code(422)
          .send(errorBody('validation_failed', 'expected { survivor, absorbed } contact ids'));
      const merged = store.merge(parsed.data.survivor, parsed.data.absorbed);
      if (!merged)
        return reply
          .code(404)
          .send(errorBody('not_found', 'both contacts must exist, and be two different contacts'));
      return { data: merged };
    });
  };
}
