import type { RouteOptions } from 'fastify';
import type { Store } from '../../store/index.ts';
import { auditQuerySchema, parseQuery } from './query.ts';

/**
 * GET /api/audit — audit rows newest first, filtered by any of crm_id,
 * sahut_id, run, connection, action, since (inclusive), until (exclusive);
 * pass `next_cursor` back as `cursor` for the next page.
 */
export function auditRoute(store: Store): RouteOptions {
  return {
    method: 'GET',
    url: '/api/audit',
    handler: async (request) => {
      const q = parseQuery(auditQuerySchema, request.query);
      const page = await store.queryAudit({
        crmId: q.crm_id,
        sahutId: q.sahut_id,
        runId: q.run,
        connection: q.connection,
        action: q.action,
        since: q.since,
        until: q.until,
        limit: q.limit,
        cursor: q.cursor,
      });
      return { rows: page.rows, next_cursor: page.nextCursor };
    },
  };
}
