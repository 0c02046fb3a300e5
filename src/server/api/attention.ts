import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { DIRECTIONS } from '../../domain/index.ts';
import { actionStatus } from '../../queue/actions/index.ts';
import { ATTENTION_KINDS } from '../../store/index.ts';
import { type AttentionDeps, submitAction, syncHealth } from '../attention/index.ts';
import { httpError } from '../errors/catalogue.ts';
import { cursor, int, parseQuery, text } from './query.ts';

export const attentionQuerySchema = z.strictObject({
  connection: text.optional(),
  kind: z.enum(ATTENTION_KINDS).optional(),
  direction: z.enum(DIRECTIONS).optional(),
  /** true: what was acknowledged (hidden from the listing) instead. */
  acknowledged: z.stringbool().optional(),
  limit: int(1, 1000, 100),
  cursor: cursor.optional(),
});

const actionParamsSchema = z.strictObject({ id: text });

/**
 * GET /api/attention — records that need a person, most recently reported
 * first, filtered by connection, kind, direction; pass `next_cursor` back as
 * `cursor` for the next page.
 */
export function attentionRoute(deps: AttentionDeps): RouteOptions {
  return {
    method: 'GET',
    url: '/api/attention',
    handler: async (request) => {
      const q = parseQuery(attentionQuerySchema, request.query);
      const page = await deps.store.listAttention(q);
      return { entries: page.entries, next_cursor: page.nextCursor };
    },
  };
}

/**
 * POST /api/attention/actions — `{connection, id, action, candidate | field, side}`:
 * queued for a worker, answered 202 with the action's id and where to follow it.
 */
export function postActionRoute(deps: AttentionDeps): RouteOptions {
  return {
    method: 'POST',
    url: '/api/attention/actions',
    bodyLimit: 4096,
    handler: async (request, reply) => {
      const id = await submitAction(deps, request, request.body, 'api');
      return reply.code(202).send({ action_id: id, status: `/api/attention/actions/${id}` });
    },
  };
}

/** GET /api/attention/actions/:id — the action's state: waiting, active, completed (with its result) or failed (why). */
export function actionStatusRoute(deps: AttentionDeps): RouteOptions {
  return {
    method: 'GET',
    url: '/api/attention/actions/:id',
    handler: async (request) => {
      const { id } = parseQuery(actionParamsSchema, request.params);
      const status = await actionStatus(deps.queues.actions, id);
      if (!status) throw httpError('ACTION_NOT_FOUND');
      return status;
    },
  };
}

/** GET /api/sync-health — per connection and direction, what the home page shows. */
export function syncHealthRoute(deps: AttentionDeps): RouteOptions {
  return {
    method: 'GET',
    url: '/api/sync-health',
    handler: async () => ({ connections: await syncHealth(deps) }),
  };
}
