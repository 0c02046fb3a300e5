import type { RouteOptions } from 'fastify';
import type { Store } from '../../store/index.ts';
import { parseQuery, runsQuerySchema } from './query.ts';

/**
 * GET /api/runs?limit=&connection=&direction= — recent runs, newest first, with
 * their per-action counts (the /runs page charts each pair's last 20).
 */
export function listRunsRoute(store: Store): RouteOptions {
  return {
    method: 'GET',
    url: '/api/runs',
    handler: async (request) => {
      const { limit, connection, direction } = parseQuery(runsQuerySchema, request.query);
      return { runs: await store.listRuns({ limit, connection, direction }) };
    },
  };
}
