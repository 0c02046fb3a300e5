import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import { auditRoute } from './audit.ts';
import { getRunRoute } from './run.ts';
import { listRunsRoute } from './runs.ts';

/** The read-only audit JSON API, in the caller's (authenticated) scope. */
export async function registerAuditApi(scope: FastifyInstance, store: Store): Promise<void> {
  scope.route(listRunsRoute(store));
  scope.route(getRunRoute(store));
  scope.route(auditRoute(store));
}
