import type { FastifyRequest } from 'fastify';
import { actionProblem, actionRequestSchema, dashboardActor } from '../../attention/index.ts';
import { enqueueAction } from '../../queue/actions/index.ts';
import { httpError } from '../errors/catalogue.ts';
import type { AttentionDeps } from './deps.ts';

/**
 * Checks one action asked for from the page or the API, and queues it for a
 * worker: refused under DASHBOARD_READ_ONLY, from another site, when the body
 * is not an action, or when the listing does not hold the record as the
 * action expects. Returns the action's id.
 */
export async function submitAction(
  deps: AttentionDeps,
  request: FastifyRequest,
  body: unknown,
  via: 'dashboard' | 'api',
): Promise<string> {
  if (deps.config.dashboard.readOnly) throw httpError('READ_ONLY');
  refuseCrossSite(request);
  const parsed = actionRequestSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.join(', ')}`;
      return `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`;
    });
    throw httpError('BAD_REQUEST', `Invalid action: ${problems.join('; ')}`);
  }
  const entry = await deps.store.getAttention(parsed.data.connection, parsed.data.id);
  const problem = actionProblem(entry, parsed.data);
  if (problem)
    throw httpError(
      problem.code === 'not-found' ? 'ATTENTION_NOT_FOUND' : 'ACTION_NOT_ALLOWED',
      problem.message,
    );
  return enqueueAction(
    deps.queues.actions,
    deps.config,
    parsed.data,
    dashboardActor(deps.config.dashboard, via),
  );
}

/**
 * Browsers send a dashboard's stored credentials with any site's form: an
 * action must come from the dashboard's own pages. Browsers say where a
 * request comes from (Sec-Fetch-Site, else Origin); scripts and the CLI send
 * neither, and authenticate on purpose.
 */
function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site !== 'same-origin' && site !== 'none') throw httpError('CROSS_SITE');
    return;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers['x-forwarded-host'] ?? request.headers.host;
  if (!URL.canParse(origin) || new URL(origin).host !== host) throw httpError('CROSS_SITE');
}
