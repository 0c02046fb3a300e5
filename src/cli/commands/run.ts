import type { Command } from 'commander';
import { ConfigError, type Connection } from '../../config/index.ts';
import type { Direction } from '../../domain/index.ts';
import { connectionsOf, loadContext, openMigratedStore } from '../context.ts';
import { dryRun } from '../dry-run.ts';
import { EXIT } from '../exit.ts';
import { createLifecycle } from '../lifecycle.ts';
import { intOption } from '../options.ts';
import { runOnce } from '../run-once.ts';

interface RunOptions {
  once?: boolean;
  connection?: string;
  direction: Direction | 'both';
  dryRun?: boolean;
  full?: boolean;
  concurrency?: number;
  allowDeletes?: number;
}

export function registerRunCommand(program: Command) {
  program
    .command('run')
    .description(
      'Run a sync once and wait for it to end (for cron). Exits 1 when a record failed, was ambiguous or rejected.',
    )
    .requiredOption('--once', 'run once, then exit (the only mode of this command)')
    .option('--connection <name>', 'only this connection (default: every connection in the connections file)')
    .addOption(
      program
        .createOption('--direction <direction>', 'which way to sync')
        .choices(['crm-to-sahut', 'sahut-to-crm', 'both'])
        .default('both'),
    )
    .option(
      '--dry-run',
      'print the plan (creates, updates with field diffs) without writing to Sahut or the store',
    )
    .option('--full', 'read the whole CRM source, not only what changed since the last run (reconciliation)')
    .option('-c, --concurrency <n>', 'records processed at once by this process', intOption)
    .option(
      '--allow-deletes <n>',
      'confirm up to n removals (deleted in the CRM, gone from Sahut) past the deletion guard',
      intOption,
    )
    .action(async (opts: RunOptions) => {
      const { config, log, screen, report } = loadContext();
      const { connections } = connectionsOf(config);
      const targets = selectTargets(connections, opts);
      const life = createLifecycle(log);
      const store = await openMigratedStore(config);
      life.add(() => store.close());
      try {
        if (opts.dryRun) {
          await dryRun({ config, log, store, connections, targets, out: process.stdout });
          return;
        }
        const { failing } = await runOnce({
          config,
          log,
          store,
          connections,
          targets,
          report,
          screen,
          full: opts.full ?? false,
          ...(opts.allowDeletes !== undefined ? { allowDeletes: opts.allowDeletes } : {}),
          ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        });
        process.exitCode = failing > 0 ? EXIT.recordsFailed : EXIT.ok;
      } finally {
        await life.release();
      }
    });
}

export function selectTargets(connections: readonly Connection[], opts: RunOptions) {
  const chosen = opts.connection ? connections.filter((c) => c.name === opts.connection) : connections;
  if (opts.connection && chosen.length === 0) {
    throw new ConfigError(
      `Unknown connection "${opts.connection}"; defined: ${connections.map((c) => c.name).join(', ')}`,
    );
  }
  const targets = chosen.flatMap((connection) =>
    connection.directions
      .filter((d) => opts.direction === 'both' || d === opts.direction)
      .map((direction) => ({ connection, direction })),
  );
  if (targets.length === 0) {
    throw new ConfigError(
      `No connection syncs ${opts.direction}; set "directions" in ${'the connections file'}`,
    );
  }
  return targets;
}
