import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { findConnection } from '../../config/index.ts';
import { createRedis, QUEUES } from '../../queue/index.ts';
import { buildSandbox } from '../../sandbox/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { runOnce } from '../run-once.ts';

const DEMO_KEY = 'demo-key-not-a-secret';

export function registerDemoCommand(program: Command) {
  program
    .command('demo')
    .description(
      'Sync the sample CRM file (config/demo/contacts.csv) into an in-process Sahut sandbox twice, using the local ' +
        'Redis and a throw-away SQLite store: the first run creates and links, the second makes no Sahut call.',
    )
    .option('--connection <name>', 'connection of the connections file to run', 'demo')
    .action(async (opts: { connection: string }) => {
      const sandbox = await buildSandbox({ apiKey: DEMO_KEY });
      const baseUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
      const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-demo-'));
      const prefix = `sahut-sync-demo-${process.pid}`;
      const env = {
        ...process.env,
        SAHUT_BASE_URL: baseUrl,
        SAHUT_API_KEY: DEMO_KEY,
        SQLITE_PATH: join(dir, 'store.sqlite'),
        DATABASE_URL: '',
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      };
      const { config, log } = loadContext(env);
      const { connections } = connectionsOf(config);
      const connection = findConnection(connections, opts.connection);
      const store = await openMigratedStore(config);
      try {
        for (const pass of ['first', 'second']) {
          sandbox.resetCounts();
          process.stdout.write(`\n== ${pass} run: ${connection.name} → Sahut sandbox at ${baseUrl}\n`);
          await runOnce({
            config,
            log,
            store,
            connections,
            targets: [{ connection, direction: 'crm-to-sahut' }],
            out: process.stdout,
          });
          const calls = Object.entries(sandbox.counts());
          const total = calls.reduce((n, [, c]) => n + c, 0);
          process.stdout.write(
            `Sahut API calls: ${total}${total ? ` (${calls.map(([r, c]) => `${r}: ${c}`).join(', ')})` : ''}\n`,
          );
        }
        process.stdout.write(`\nThe sandbox now holds ${sandbox.contacts().length} contacts.\n`);
        process.exitCode = sandbox.contacts().length > 0 ? 0 : 1;
      } finally {
        await store.close();
        await sandbox.close();
        await cleanUpRedis(config.redis.url, prefix);
        await rm(dir, { recursive: true, force: true });
      }
    });
}

async function cleanUpRedis(url: string, prefix: string) {
  const redis = createRedis(url);
  try {
    for (const name of Object.values(QUEUES)) {
      const queue = new Queue(name, { connection: redis, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    const leftovers = await redis.keys(`${prefix}:*`);
    if (leftovers.length) await redis.del(...leftovers);
  } finally {
    redis.disconnect();
  }
}
