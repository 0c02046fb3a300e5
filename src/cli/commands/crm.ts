import { dirname } from 'node:path';
import type { Command } from 'commander';
import { findConnection, loadConnections } from '../../config/index.ts';
import { runTriggerSql, triggerSql } from '../../crm/index.ts';
import { loadContext } from '../context.ts';

const ACTIONS = {
  'install-trigger': {
    part: 'install',
    description:
      'Install the trigger that tells sahut-sync about CRM changes within seconds (for source.notify: true); ' +
      'prints the SQL it runs.',
  },
  'remove-trigger': {
    part: 'remove',
    description: 'Remove what install-trigger installed; prints the SQL it runs.',
  },
} as const;

export function registerCrmCommand(program: Command) {
  const crm = program
    .command('crm')
    .description('Change the CRM database itself (only when asked explicitly).');
  for (const [name, { part, description }] of Object.entries(ACTIONS)) {
    crm
      .command(name)
      .description(description)
      .requiredOption('--connection <name>', 'connection of the connections file whose table it is')
      .option('--print', 'only print the SQL, run nothing')
      .action(async (opts: { connection: string; print?: boolean }) => {
        const { config } = loadContext();
        const connection = findConnection(loadConnections(config.syncConfigPath), opts.connection);
        const statements = triggerSql(connection.name, connection.source)[part];
        process.stdout.write(statements.map((sql) => `${sql};\n`).join(''));
        if (opts.print) return;
        await runTriggerSql(connection.source, statements, {
          postgresUrl: config.store.kind === 'postgres' ? config.store.url : undefined,
          baseDir: dirname(config.syncConfigPath),
        });
        const done = part === 'install' ? 'installed' : 'removed';
        process.stdout.write(`-- trigger of ${connection.name} ${done}\n`);
        if (
          part === 'install' &&
          (connection.source.type === 'postgres' || connection.source.type === 'mysql') &&
          !connection.source.notify
        ) {
          process.stderr.write(
            `Set source.notify: true on ${connection.name} for the scheduler to listen.\n`,
          );
        }
      });
  }
}
