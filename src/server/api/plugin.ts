import type { FastifyInstance } from 'fastify';
import { maskPii } from '../../pii/index.ts';
import type { Store } from '../../store/index.ts';
import { auditRoute } from './audit.ts';
import { getRunRoute } from './run.ts';
import { listRunsRoute } from './runs.ts';

/**
 * The read-only audit JSON API, in the caller's (authenticated) scope, in its
 * own plugin: with `redactPii` every answer of every route in it has its
 * phones, emails and names masked on the way out.
 */
export async function registerAuditApi(
  scope: FastifyInstance,
  deps: { store: Store; redactPii: boolean },
): Promise<void> {
  await scope.register(async (api) => {
    if (deps.redactPii)
      api.addHook('preSerialization', async (_request, _reply, payload) => maskPii(payload));
    api.route(listRunsRoute(deps.store));
    api.route(getRunRoute(deps.store));
    api.route(auditRoute(deps.store));
  });
}
