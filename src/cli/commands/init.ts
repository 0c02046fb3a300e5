import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { openCatalog, type SourceCatalog } from '../../crm/index.ts';
import {
  describeGuess,
  describeMissing,
  guessConnection,
  mappingYaml,
  unknownColumns,
} from '../../init/index.ts';
import { loadContext } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';
import { shown, writeInitFiles } from '../init-files.ts';
import { checkConnectionName, initSource, type SourceOptions } from '../init-source.ts';
import { intOption } from '../options.ts';

interface InitOptions extends SourceOptions {
  connection?: string;
  config?: string;
  mapping?: string;
  field?: string[];
  idColumn?: string;
  cursorColumn?: string;
  sample: number;
  force?: boolean;
}

export function registerInitCommand(program: Command) {
  program
    .command('init')
    .description(
      'Write a connection and its field mapping for a CRM table or export, guessed from its column names ' +
        '(English and Indonesian) and a sample of its rows; prints what it guessed and what to check.',
    )
    .option('--url <url>', 'postgres:// or mysql:// URL of the CRM database')
    .option('--table <table>', 'table or view to sync (with --url)')
    .option(
      '--schema <name>',
      "PostgreSQL schema or MySQL database of the table (default: the search_path, the URL's)",
    )
    .option('--file <path>', 'a CSV or JSON Lines export, instead of a database')
    .option(
      '--hubspot-token [token]',
      "HubSpot contacts, through a private app's token (default: HUBSPOT_TOKEN); the file gets ${HUBSPOT_TOKEN}",
    )
    .option(
      '--hubspot-url <url>',
      "HubSpot's API (default: https://api.hubapi.com), e.g. the HubSpot sandbox",
    )
    .addOption(
      program
        .createOption('--format <format>', 'format of --file, when its extension does not say')
        .choices(['csv', 'jsonl']),
    )
    .option('--connection <name>', 'name of the connection (default: the table or file name)')
    .option('--config <path>', 'connections file to create or add the connection to (default: SYNC_CONFIG)')
    .option(
      '--mapping <path>',
      'mapping file to write (default: <connection>.mapping.yaml beside the connections file)',
    )
    .option(
      '--field <key=column>',
      'map a Sahut field yourself, e.g. phone=no_hp, name=first_name,last_name, custom_attributes.tier=tier (repeatable)',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option('--id-column <column>', 'the column naming each record (default: the primary key)')
    .option(
      '--cursor-column <column>',
      'the timestamp column bumped on every change (default: guessed, e.g. updated_at)',
    )
    .option('--sample <rows>', 'rows read to guess from', intOption, 200)
    .option('--force', 'replace the mapping file, and a connection of the same name')
    .action(async (opts: InitOptions) => {
      const { config } = loadContext();
      const source = initSource(opts, opts.connection);
      const connection = checkConnectionName(opts.connection ?? source.suggestedName);
      const configPath = resolve(opts.config ?? config.syncConfigPath);
      const mappingPath = resolve(opts.mapping ?? join(dirname(configPath), `${connection}.mapping.yaml`));
      const catalog = openCatalog(source.live, {
        postgresUrl: config.store.kind === 'postgres' ? config.store.url : undefined,
        baseDir: process.cwd(),
      });
      try {
        const read = await catalog.facts(opts.sample);
        if (read === null)
          throw new UsageError(`${describeSource(opts)} does not exist (or this user cannot see it)`);
        // A file as the person named it, not its absolute path.
        const from = source.live.type === 'file' ? shown(source.live.path) : read.label;
        const facts = source.live.type === 'file' ? { ...read, label: `file ${from}` } : read;
        const input = {
          facts,
          needsCursor: source.live.type !== 'file' && source.live.type !== 'hubspot',
          region: config.defaultRegion,
          fields: parseFields(opts.field ?? []),
          idColumn: opts.idColumn,
          cursorColumn: opts.cursorColumn,
        };
        const unknown = unknownColumns(input);
        if (unknown.length > 0)
          throw new UsageError(
            `${facts.label} has no column ${unknown.map((c) => `"${c}"`).join(', ')}; ` +
              `its columns: ${facts.columns.map((c) => c.name).join(', ')}`,
          );
        const guess = guessConnection(input);
        process.stdout.write(describeGuess(facts, guess, indexHint(catalog)));
        if (guess.missing.length > 0 || guess.id === null) {
          process.stdout.write(`\n${describeMissing(facts, guess)}`);
          process.exitCode = EXIT.usage;
          return;
        }
        const written = source.written(
          facts,
          { id: guess.id.column, cursor: guess.cursor?.column },
          dirname(configPath),
        );
        const entry = { source: written, mapping: relative(dirname(configPath), mappingPath) };
        const env = source.passwordVariable
          ? { ...process.env, [source.passwordVariable]: process.env[source.passwordVariable] ?? 'unset' }
          : process.env;
        const how = await writeInitFiles(
          { configPath, mappingPath, connection, force: opts.force ?? false },
          { mapping: mappingYaml(guess, from), entry, from },
          env,
        );
        const [mappingFile, configFile] = [shown(mappingPath), shown(configPath)];
        const what = {
          created: `Wrote ${mappingFile} and ${configFile} (connection "${connection}")`,
          added: `Wrote ${mappingFile} and added connection "${connection}" to ${configFile}`,
          replaced: `Wrote ${mappingFile} and replaced connection "${connection}" in ${configFile}`,
        }[how];
        process.stdout.write(`\n${what}; both load.\n`);
        if (source.live.type === 'hubspot')
          process.stdout.write(
            'The token is not in the file: the source reads it from ${HUBSPOT_TOKEN}. Set HUBSPOT_TOKEN in the environment or .env.\n',
          );
        else if (source.passwordVariable)
          process.stdout.write(
            `The password is not in the file: the URL reads it from \${${source.passwordVariable}}. ` +
              `Set ${source.passwordVariable} in the environment or .env, as written in the URL.\n`,
          );
        process.stdout.write(nextSteps(connection, configPath, config.syncConfigPath));
      } finally {
        await catalog.close();
      }
    });
}

/** `--field phone=no_hp --field name=first,last` → `{ phone: ['no_hp'], name: ['first', 'last'] }`. */
function parseFields(flags: readonly string[]): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const flag of flags) {
    const [key = '', columns = ''] = flag.split(/=(.*)/s);
    const from = columns
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    if (key.trim() === '' || from.length === 0)
      throw new UsageError(
        `--field ${flag}: expected key=column, e.g. phone=no_hp or name=first_name,last_name`,
      );
    fields[key.trim()] = from;
  }
  return fields;
}

const describeSource = (opts: SourceOptions) =>
  opts.hubspotToken !== undefined
    ? 'HubSpot contacts'
    : (opts.file ?? `table ${opts.schema === undefined ? '' : `${opts.schema}.`}${opts.table}`);

const indexHint = (catalog: SourceCatalog) => (column: string) =>
  catalog.createIndexSql ? `add one: ${catalog.createIndexSql(column)}` : 'add one';

function nextSteps(connection: string, configPath: string, defaultPath: string): string {
  const prefix = resolve(defaultPath) === configPath ? '' : `SYNC_CONFIG=${shown(configPath)} `;
  return [
    '',
    'Next (check the mapping first):',
    `  ${prefix}sahut-sync doctor --connection ${connection}`,
    `  ${prefix}sahut-sync run --once --dry-run --connection ${connection}`,
    `  ${prefix}sahut-sync run --once --connection ${connection}`,
    '',
  ].join('\n');
}
