import type { RouteOptions } from 'fastify';
import type { LagMonitor } from './event-loop.ts';

export const MAX_LAG_MS = 1_000;

/** Liveness: the process answers and its event loop is not stuck. */
export function healthzRoute(lag: LagMonitor): RouteOptions {
  return {
    method: 'GET',
    url: '/healthz',
    handler: async (_request, reply) => {
      const lagMs = Math.round(lag.lagMs());
      if (lagMs > MAX_LAG_MS) return reply.code(503).send({ status: 'blocked', eventLoopLagMs: lagMs });
      return { status: 'ok' };
    },
  };
}
