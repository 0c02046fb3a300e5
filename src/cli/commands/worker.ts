import type { Command } from 'commander';
import { createMetrics } from '../../metrics/index.ts';
import { checkRedis, createRuntime, startWorkers } from '../../queue/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';
import { startHttp } from './serve.ts';

export function registerWorkerCommand(program: Command) {
  program
    .command('worker')
    .description('Process sync jobs from Redis until SIGTERM (scale out by starting more of these).')
    .option('-c, --concurrency <n>', 'records processed at once (default: WORKER_CONCURRENCY)', intOption)
    .option('--http-port <port>', 'also serve /healthz, /readyz and /metrics on this port', intOption)
    .action(async (opts: { concurrency?: number; httpPort?: number }) => {
      const { config, log } = loadContext();
      await checkRedis(config.redis.connection);
      const life = createLifecycle(log);
      const store = await openMigratedStore(config);
      life.add(() => store.close());
      const metrics = createMetrics();
      const rt = createRuntime({ config, ...connectionsOf(config), store, log, metrics });
      life.add(() => rt.close());
      const workers = startWorkers(rt, opts.concurrency ? { concurrency: opts.concurrency } : {});
      life.add(async () => log.info({ result: await workers.close() }, 'workers stopped'));
      if (opts.httpPort !== undefined) {
        const http = await startHttp({
          config,
          log,
          store,
          metrics,
          redis: rt.redis,
          port: opts.httpPort,
          dashboard: false,
        });
        life.add(() => http.close());
      }
      log.info({ concurrency: opts.concurrency ?? config.worker.concurrency }, 'worker started');
      await life.untilSignal();
    });
}
