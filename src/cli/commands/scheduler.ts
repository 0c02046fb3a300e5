import { dirname } from 'node:path';
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { type Connection, findConnection, loadConnections } from '../../config/index.ts';
import { checkRedis, createChangeRuns, createRedis, QUEUES, syncSchedules } from '../../queue/index.ts';
import { loadContext } from '../context.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';

export function registerSchedulerCommand(program: Command) {
  program
    .command('scheduler')
    .description(
      'Keep one BullMQ job scheduler per scheduled connection and direction in Redis, as the connections file says; ' +
        'schedules removed from the file are removed from Redis. Connections with source.notify: true are ' +
        'watched, and a CRM change enqueues a run within seconds.',
    )
    .option('--once', 'apply the schedules and exit')
    .option('--interval <seconds>', 're-read the connections file this often', intOption, 60)
    .action(async (opts: { once?: boolean; interval: number }) => {
      const { config, log } = loadContext();
      await checkRedis(config.redis.connection);
      const life = createLifecycle(log);
      const redis = createRedis(config.redis.connection);
      const queue = new Queue(QUEUES.runs, { connection: redis, prefix: config.redis.prefix });
      queue.on('error', (err) => log.error({ err }, 'queue error'));
      life.add(() => redis.disconnect());
      life.add(() => queue.close());
      let connections: Connection[] = [];
      const changeRuns = createChangeRuns(
        { config, queues: { runs: queue }, connection: (name) => findConnection(connections, name) },
        log,
        { baseDir: dirname(config.syncConfigPath) },
      );
      life.add(() => changeRuns.close());
      const apply = async () => {
        connections = loadConnections(config.syncConfigPath);
        const changes = await syncSchedules(queue, connections);
        log.info(changes, 'schedules applied');
        if (!opts.once) await changeRuns.apply(connections);
      };
      await apply();
      if (opts.once) return life.release();
      const timer = setInterval(
        () => apply().catch((err) => log.error({ err }, 'applying schedules failed')),
        opts.interval * 1000,
      );
      life.add(() => clearInterval(timer));
      await life.untilSignal();
    });
}
