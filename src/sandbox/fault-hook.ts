import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestCounters } from './counters.ts';
import type { FaultSchedule } from './faults.ts';
import { codeForStatus, errorBody } from './http-errors.ts';

export interface FaultHookOptions {
  schedule: () => FaultSchedule;
  counters: RequestCounters;
  routeOf: (request: FastifyRequest) => string;
}

/**
 * Every fault is decided here, in one `preHandler` hook (after auth and body
 * parsing), from the declarative schedule; handlers never know about faults.
 * `commit-then-drop` needs the handler to run first, so the decision only marks
 * the request and `onSend` carries it out by destroying the socket instead of answering.
 */
export function installFaultHook(
  app: FastifyInstance,
  { schedule, counters, routeOf }: FaultHookOptions,
): void {
  const toDrop = new WeakSet<FastifyRequest>();
  const settled = new WeakSet<FastifyRequest>();

  app.addHook('preHandler', async (request, reply) => {
    const { delayMs, outcome } = schedule().decide(routeOf(request));
    if (delayMs > 0) await sleep(delayMs);
    switch (outcome.kind) {
      case 'none':
        return;
      case 'commit-then-drop':
        toDrop.add(request);
        return;
      case 'empty-list': {
        const page = Number((request.query as { page?: string }).page ?? 1) || 1;
        const perPage = Number((request.query as { per_page?: string }).per_page ?? 25) || 25;
        return reply.send({ data: [], meta: { total: 0, page, per_page: perPage, total_pages: 0 } });
      }
      case 'reset':
        settled.add(request);
        counters.ended(routeOf(request), 'reset');
        reply.hijack();
        request.raw.socket.resetAndDestroy();
        return;
      case 'status':
        if (outcome.retryAfterSec !== undefined) reply.header('retry-after', String(outcome.retryAfterSec));
        return reply
          .code(outcome.status)
          .send(errorBody(codeForStatus(outcome.status), `injected fault: HTTP ${outcome.status}`));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!toDrop.has(request)) return payload;
    settled.add(request);
    counters.ended(routeOf(request), 'dropped');
    reply.hijack();
    request.raw.socket.destroy();
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!settled.has(request)) counters.ended(routeOf(request), reply.statusCode);
  });
}
