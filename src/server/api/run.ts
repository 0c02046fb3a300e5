import type { RouteOptions } from 'fastify';
import type { Store } from '../../store/index.ts';
import { httpError } from '../errors/catalogue.ts';
import { parseQuery, runParamsSchema } from './query.ts';

/** GET /api/runs/:id — one run with its counts. */
export function getRunRoute(store: Store): RouteOptions {
  return {
    method: 'GET',
    url: '/api/runs/:id',
    handler: async (request) => {
      const { id } = parseQuery(runParamsSchema, request.params);
      const run = await store.getRun(id);
      if (!run) throw httpError('RUN_NOT_FOUND', 'No run with this id');
      return run;
    },
  };
}
