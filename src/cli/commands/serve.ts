import type { Command } from 'commander';
import { createMetrics } from '../../metrics/index.ts';
import { checkRedis, createRedis } from '../../queue/index.ts';
import { startHttp } from '../../server/index.ts';
import { loadContext, openMigratedStore } from '../context.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';

export { startHttp };

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
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host ? { host: opts.host } : {}),
      });
      life.add(() => http.close());
      log.info({ url: `${http.url}/admin/queues` }, 'dashboard listening');
      await life.untilSignal();
    });
}
