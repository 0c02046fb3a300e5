import type { RouteOptions } from 'fastify';
import type { Store } from '../../store/index.ts';
import { runTimeline } from '../charts/index.ts';
import { httpError } from '../errors/catalogue.ts';
import { parseQuery, runParamsSchema } from './query.ts';

/** GET /api/runs/:id — one run with its counts. */
export function getRunRoute(store: Store): RouteOptions {
  return {
    method: 'GET',
    url: '/api/runs/:id',
    handler: async (request) => findRun(store, request.params),
  };
}

/**
 * GET /api/runs/:id/timeline — the run's audit rows per interval and action,
 * oldest first, and their totals per action (what the run's page draws). The
 * interval is the shortest of 1 s, 2 s, 5 s … 1 week giving at most 60 over the run.
 */
export function runTimelineRoute(store: Store): RouteOptions {
  return {
    method: 'GET',
    url: '/api/runs/:id/timeline',
    handler: async (request) => runTimeline(store, await findRun(store, request.params)),
  };
}

async function findRun(store: Store, params: unknown) {
  const { id } = parseQuery(runParamsSchema, params);
  const run = await store.getRun(id);
  if (!run) throw httpError('RUN_NOT_FOUND', 'No run with this id');
  return run;
}
