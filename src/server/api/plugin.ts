import type { FastifyInstance } from 'fastify';
import { maskPii } from '../../pii/index.ts';
import type { Store } from '../../store/index.ts';
import type { AttentionDeps } from '../attention/index.ts';
import { actionStatusRoute, attentionRoute, postActionRoute, syncHealthRoute } from './attention.ts';
import { auditRoute } from './audit.ts';
import { getRunRoute, runTimelineRoute } from './run.ts';
import { listRunsRoute } from './runs.ts';

/**
 * The audit JSON API (reads, and the attention listing's actions, which a
 * worker carries out), in the caller's (authenticated) scope, in its
 * own plugin: with `redactPii` every answer of every route in it has its
 * phones, emails and names masked on the way out.
 */
export async function registerAuditApi(
  scope: FastifyInstance,
  deps: { store: Store; redactPii: boolean; attention: AttentionDeps },
): Promise<void> {
  await scope.register(async (api) => {
    if (deps.redactPii)
      api.addHook('preSerialization', async (_request, _reply, payload) => maskPii(payload));
    api.route(listRunsRoute(deps.store));
    api.route(getRunRoute(deps.store));
    api.route(runTimelineRoute(deps.store));
    api.route(auditRoute(deps.store));
    api.route(attentionRoute(deps.attention));
    api.route(postActionRoute(deps.attention));
    api.route(actionStatusRoute(deps.attention));
    api.route(syncHealthRoute(deps.attention));
  });
}
