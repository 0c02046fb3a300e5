import type { RouteOptions } from 'fastify';
import type { Check } from './checks.ts';

/** Readiness: every dependency answers now; 503 names the ones that do not. */
export function readyzRoute(checks: Record<string, Check>): RouteOptions {
  return {
    method: 'GET',
    url: '/readyz',
    handler: async (_request, reply) => {
      const names = Object.keys(checks);
      const results = await Promise.all(Object.values(checks).map((check) => check()));
      const report = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      const ready = results.every((r) => r === 'ok');
      return reply.code(ready ? 200 : 503).send({ ready, checks: report });
    },
  };
}
