import type { RouteOptions } from 'fastify';
import type { Store } from '../../store/index.ts';
import { parseQuery, runsQuerySchema } from './query.ts';

/** GET /api/runs?limit=&connection= — recent runs, newest first, with their per-action counts. */
export function listRunsRoute(store: Store): RouteOptions {
  return {
    method: 'GET',
    url: '/api/runs',
    handler: async (request) => {
      const { limit, connection } = parseQuery(runsQuerySchema, request.query);
      return { runs: await store.listRuns({ limit, connection }) };
    },
  };
}
