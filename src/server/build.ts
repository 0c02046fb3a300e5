import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { QUEUES } from '../queue/index.ts';
import { registerAuditApi } from './api/plugin.ts';
import type { AttentionDeps } from './attention/index.ts';
import { guardScope } from './auth/guard.ts';
import { authSettings } from './auth/settings.ts';
import { registerBoard } from './board/plugin.ts';
import { openQueues } from './board/queues.ts';
import type { ServerDeps } from './deps.ts';
import { useErrorHandler, useNotFoundHandler } from './errors/handler.ts';
import { registerHealth } from './health/plugin.ts';
import { frameworkErrors, MAX_PARAM_LENGTH, rejectUnsafeParams } from './input/params.ts';
import { scrapeRefresher } from './metrics/refresh.ts';
import { metricsRoute } from './metrics/route.ts';
import { registerAuditPages } from './pages/plugin.ts';
import { hubspotWebhooks } from './webhooks/hubspot.ts';

/**
 * Reads (probes, scrapes, the board's polling, audit searches that carry a
 * phone or email in the URL) are not logged; actions such as a retry from the
 * board are. Errors are logged by the error handler either way.
 */
const quietRequest = (request: { method: string }) => request.method === 'GET' || request.method === 'HEAD';

/**
 * The app, ready but not listening. `host` is where it will listen: it
 * decides whether running without authentication is allowed.
 */
export async function buildApp(deps: ServerDeps, host: string): Promise<FastifyInstance> {
  // Checked before anything opens, so a refused config leaks no connection.
  const metricsAuth = deps.config.metrics.auth === 'dashboard';
  const auth = deps.dashboard || metricsAuth ? authSettings(deps.config.dashboard, host) : undefined;
  // Typed as Fastify's logger so the app is a plain FastifyInstance for callers.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: quietRequest }),
    // Longer path parameters, and malformed escapes, are refused by the router itself.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
  });
  try {
    useErrorHandler(app, deps.log);
    useNotFoundHandler(app);
    rejectUnsafeParams(app);
    await registerHealth(app, deps);
    let refresh: (() => Promise<void>) | undefined;
    if (deps.dashboard && auth) {
      const queues = openQueues(deps.redis, deps.config.redis.prefix, deps.log);
      app.addHook('onClose', () => queues.close());
      // Signed by HubSpot, not logged in: outside the dashboard's authentication.
      await app.register(
        hubspotWebhooks({
          config: deps.config,
          connections: deps.connections ?? [],
          runs: queues.get(QUEUES.runs),
          log: deps.log,
        }),
      );
      refresh = scrapeRefresher({
        queues: queues.list,
        store: deps.store,
        metrics: deps.metrics,
        log: deps.log,
      });
      await app.register(async (scope) => {
        await guardScope(scope, auth);
        await registerBoard(scope, {
          queues: queues.list,
          prefix: deps.config.redis.prefix,
          readOnly: deps.config.dashboard.readOnly,
          redactPii: deps.config.dashboard.redactPii,
          log: deps.log,
        });
        const redactPii = deps.config.dashboard.redactPii;
        const attention: AttentionDeps = {
          store: deps.store,
          queues: { runs: queues.get(QUEUES.runs), actions: queues.get(QUEUES.actions) },
          config: deps.config,
          connections: deps.connections ?? [],
          redis: deps.redis,
        };
        await registerAuditApi(scope, { store: deps.store, redactPii, attention });
        await registerAuditPages(scope, {
          store: deps.store,
          log: deps.log,
          region: deps.config.defaultRegion,
          redactPii,
          attention,
        });
      });
    }
    const metrics = metricsRoute(deps.metrics.registry, refresh);
    if (metricsAuth && auth) {
      // METRICS_AUTH=dashboard: scrapers authenticate like any dashboard user.
      await app.register(async (scope) => {
        await guardScope(scope, auth);
        scope.route(metrics);
      });
    } else app.route(metrics);
    await app.ready();
    return app;
  } catch (err) {
    await app.close();
    throw err;
  }
}
