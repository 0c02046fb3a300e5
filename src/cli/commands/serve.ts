import type { Command } from 'commander';
import type { Config, Connection } from '../../config/index.ts';
import type { Logger } from '../../log/index.ts';
import { createMetrics } from '../../metrics/index.ts';
import { checkRedis, createRedis } from '../../queue/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';

/**
 * The server (Fastify, the board, the pages) is loaded only by a command that serves: every
 * `run --once` and worker starts without compiling it.
 */
export async function startHttp(deps: Parameters<typeof import('../../server/index.ts').startHttp>[0]) {
  return (await import('../../server/index.ts')).startHttp(deps);
}

export function registerServeCommand(program: Command) {
  program
    .command('serve')
    .description('Serve the Bull Board dashboard, audit pages and API, /healthz, /readyz and /metrics.')
    .option('-p, --port <port>', 'port to listen on (default: HTTP_PORT)', intOption)
    .option('--host <host>', 'address to listen on (default: HTTP_HOST)')
    .action(async (opts: { port?: number; host?: string }) => {
      const { config, log } = loadContext();
      await checkRedis(config.redis.connection);
      const life = createLifecycle(log);
      const store = await openMigratedStore(config);
      life.add(() => store.close());
      // Fails fast while Redis is away (a failover): pages and probes answer instead of hanging.
      const redis = createRedis(config.redis.connection, 'serve');
      redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
      life.add(() => redis.disconnect());
      const http = await startHttp({
        config,
        log,
        store,
        redis,
        metrics: createMetrics(),
        dashboard: true,
        connections: readConnections(config, log),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host ? { host: opts.host } : {}),
      });
      life.add(() => http.close());
      log.info({ url: `${http.url}/admin/queues` }, 'dashboard listening');
      await life.untilSignal();
    });
}

/**
 * The health page lists the connections of SYNC_CONFIG even before their first
 * run. The dashboard does not sync, so it serves without them (listing what
 * the store has seen) when the file cannot be read here.
 */
function readConnections(config: Config, log: Logger): Connection[] {
  try {
    return connectionsOf(config).connections;
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'SYNC_CONFIG could not be read: the health page lists only connections that have run',
    );
    return [];
  }
}
