import type { RouteOptions } from 'fastify';
import type { Registry } from 'prom-client';

/** Prometheus text exposition of the process registry, after an optional refresh of sampled gauges. */
export function metricsRoute(registry: Registry, refresh?: () => Promise<void>): RouteOptions {
  return {
    method: 'GET',
    url: '/metrics',
    handler: async (_request, reply) => {
      if (refresh) await refresh();
      const body = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(body);
    },
  };
}
