import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { type Config, type Connection, findConnection } from '../../config/index.ts';
import { createRedis, deleteKeys, QUEUES } from '../../queue/index.ts';
import type { Sandbox } from '../../sandbox/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { runOnce } from '../run-once.ts';

const DEMO_KEY = 'demo-key-not-a-secret';

export function registerDemoCommand(program: Command) {
  program
    .command('demo')
    .description(
      'Sync the sample CRM export (config/demo/contacts.csv) into an in-process Sahut sandbox, using the local ' +
        'Redis and a throw-away SQLite store; then change one record and sync again: one PUT, nothing else.',
    )
    .option('--connection <name>', 'file connection of the connections file to use', 'demo')
    .action(async (opts: { connection: string }) => {
      const sandbox = await (await import('../../sandbox/index.ts')).buildSandbox({ apiKey: DEMO_KEY });
      const baseUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
      const dir = await mkdtemp(join(tmpdir(), 'sahut-sync-demo-'));
      const prefix = `sahut-sync-demo-${process.pid}`;
      const { config, log, screen, report } = loadContext({
        ...process.env,
        SAHUT_BASE_URL: baseUrl,
        SAHUT_API_KEY: DEMO_KEY,
        SQLITE_PATH: join(dir, 'store.sqlite'),
        DATABASE_URL: '',
        QUEUE_PREFIX: prefix,
        // The sandbox has no rate limit of its own; keep the demo quick.
        SAHUT_RATE_LIMIT: process.env.SAHUT_RATE_LIMIT ?? '200',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      });
      const store = await openMigratedStore(config);
      try {
        const connection = await privateCopy(
          findConnection(connectionsOf(config).connections, opts.connection),
          dir,
        );
        const targets = [{ connection, direction: 'crm-to-sahut' as const }];
        const pass = async (title: string) => {
          sandbox.resetCounts();
          process.stdout.write(`\n== ${title}: ${connection.name} → Sahut sandbox at ${baseUrl}\n`);
          const connections = [connection];
          await runOnce({ config, log, store, connections, targets, report, screen });
          printCalls(sandbox);
        };
        await pass('first run');
        const moved = await editFirstRecord(connection);
        process.stdout.write(`\nEdited the CRM export: ${moved} moved to PT Baru Indonesia.\n`);
        await pass('second run');
        const held = sandbox.contacts().length;
        process.stdout.write(`\nThe sandbox now holds ${held} contacts, none of them twice.\n`);
        process.exitCode = held > 0 ? 0 : 1;
      } finally {
        await store.close();
        await sandbox.close();
        await cleanUpRedis(config);
        await rm(dir, { recursive: true, force: true });
      }
    });
}

/** The demo edits the export like a CRM would, so it works on a copy. */
async function privateCopy(connection: Connection, dir: string): Promise<Connection> {
  if (connection.source.type !== 'file')
    throw new Error(`demo needs a file connection; ${connection.name} is not one`);
  const path = join(dir, 'contacts.csv');
  await copyFile(connection.source.path, path);
  return { ...connection, source: { ...connection.source, path } };
}

async function editFirstRecord(connection: Connection): Promise<string> {
  if (connection.source.type !== 'file') throw new Error('unreachable');
  const path = connection.source.path;
  const [header = '', first = '', ...rest] = (await readFile(path, 'utf8')).split('\n');
  const cells = first.split(',');
  cells[header.split(',').indexOf('company_name')] = 'PT Baru Indonesia';
  await writeFile(path, [header, cells.join(','), ...rest].join('\n'));
  return cells[0] ?? '';
}

function printCalls(sandbox: Sandbox) {
  const calls = Object.entries(sandbox.counts());
  const total = calls.reduce((n, [, c]) => n + c, 0);
  const detail = calls.map(([route, c]) => `${route}: ${c}`).join(', ');
  process.stdout.write(`Sahut API calls: ${total}${total ? ` (${detail})` : ''}\n`);
}

async function cleanUpRedis(config: Readonly<Config>) {
  // The configured prefix: on Cluster it carries the hash tag the demo's name did not have.
  const { prefix } = config.redis;
  const redis = createRedis(config.redis.connection);
  try {
    for (const name of Object.values(QUEUES)) {
      const queue = new Queue(name, { connection: redis, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
