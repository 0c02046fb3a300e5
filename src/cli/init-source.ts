import { basename, extname, relative, resolve } from 'node:path';
import { type SourceConfig, type SourceFacts, type SourceInput, sourceSchema } from '../crm/index.ts';
import { UsageError } from './exit.ts';

export interface SourceOptions {
  url?: string;
  table?: string;
  schema?: string;
  file?: string;
  format?: 'csv' | 'jsonl';
  /** A HubSpot private app's token (`--hubspot-token`), or `true` for the one in HUBSPOT_TOKEN. */
  hubspotToken?: string | true;
  /** HubSpot's API, or the HubSpot sandbox's URL. */
  hubspotUrl?: string;
}

/** What init reads and what it writes into the connections file, for one source. */
export interface InitSource {
  /** The source as init reads it now: the URL as given, the file's absolute path. */
  live: SourceConfig;
  /** The connection name it suggests: the table's or the file's. */
  suggestedName: string;
  /** The variable the written URL takes its password from, when the URL has one. */
  passwordVariable: string | undefined;
  /** The `source:` written to the connections file in `configDir`, once the keys are known. */
  written(
    facts: SourceFacts,
    keys: { id: string; cursor: string | undefined },
    configDir: string,
  ): SourceInput;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The source of `--url`/`--table` or `--file`. A new kind of source (an API
 * CRM such as HubSpot) adds its flags and a case here, and a catalog reader in
 * src/crm/catalog; the guessing and the files need no change.
 */
export function initSource(opts: SourceOptions, connection: string | undefined): InitSource {
  if (opts.hubspotToken !== undefined) {
    if (opts.url !== undefined || opts.file !== undefined)
      throw new UsageError('give one source: --hubspot-token, --url or --file');
    return hubspotSource(opts.hubspotToken, opts.hubspotUrl);
  }
  if ((opts.url === undefined) === (opts.file === undefined))
    throw new UsageError(
      'give a database with --url <url> --table <table>, a file with --file <path>, or HubSpot with --hubspot-token',
    );
  if (opts.file !== undefined) return fileSource(opts.file, opts.format);
  const { url: given = '', table } = opts;
  if (table === undefined) throw new UsageError('--url needs --table <table>');
  const protocol = given.split(':')[0]?.toLowerCase();
  const type = protocol === 'mysql' || protocol === 'mariadb' ? 'mysql' : 'postgres';
  const variable = passwordVariable(given, connection ?? nameOf(table));
  const url = variable === undefined ? given : withPasswordFrom(given, variable);
  const place = type === 'mysql' ? { database: opts.schema } : { schema: opts.schema };
  const live = parsed({ type, url: given, table, ...place } as SourceInput);
  return {
    live,
    suggestedName: nameOf(table),
    passwordVariable: variable,
    written: (facts, keys) => ({
      type,
      url,
      // PostgreSQL: the schema found, so the search_path of another session cannot change the table.
      ...(type === 'postgres' ? { schema: facts.namespace ?? opts.schema } : place),
      table,
      idColumn: keys.id,
      cursorColumn: keys.cursor ?? 'updated_at',
    }),
  };
}

/**
 * HubSpot's contacts: read with the token given, written as `${HUBSPOT_TOKEN}` so the connections
 * file never holds it. HubSpot sets ids and modification times itself: no keys to write.
 */
function hubspotSource(token: string | true, baseUrl: string | undefined): InitSource {
  const live = token === true ? process.env.HUBSPOT_TOKEN : token;
  if (!live) throw new UsageError('--hubspot-token: no token given and HUBSPOT_TOKEN is not set');
  return {
    live: parsed({ type: 'hubspot', token: live, ...(baseUrl ? { baseUrl } : {}) }),
    suggestedName: 'hubspot',
    passwordVariable: 'HUBSPOT_TOKEN',
    written: () => ({ type: 'hubspot', token: '${HUBSPOT_TOKEN}', ...(baseUrl ? { baseUrl } : {}) }),
  };
}

function fileSource(file: string, format: 'csv' | 'jsonl' | undefined): InitSource {
  const path = resolve(file);
  return {
    live: parsed({ type: 'file', path, ...(format ? { format } : {}) }),
    suggestedName: nameOf(basename(file, extname(file))),
    passwordVariable: undefined,
    written: (_facts, keys, configDir) => ({
      type: 'file',
      path: relative(configDir, path),
      ...(format ? { format } : {}),
      idField: keys.id,
    }),
  };
}

function parsed(input: SourceInput): SourceConfig {
  const result = sourceSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const at =
    { url: '--url', format: '--format', path: '--file', token: '--hubspot-token', baseUrl: '--hubspot-url' }[
      String(issue?.path[0])
    ] ?? 'the source';
  throw new UsageError(`${at}: ${issue?.message ?? 'invalid'}`);
}

/** A connection name from a table or file name: `Data Pelanggan` → `data_pelanggan`. */
function nameOf(raw: string): string {
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return NAME.test(name) ? name : 'crm';
}

export function checkConnectionName(name: string): string {
  if (!NAME.test(name))
    throw new UsageError(`--connection: "${name}" is not a connection name (a-z, 0-9, _ and -, at most 63)`);
  return name;
}

/** `PELANGGAN_DB_PASSWORD` for connection `pelanggan`, when the URL carries a password. */
function passwordVariable(url: string, connection: string): string | undefined {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return undefined; // the source schema reports the bad URL
  }
  if (password === '') return undefined;
  const stem = connection.toUpperCase().replace(/-/g, '_');
  return `${/^[A-Z_]/.test(stem) ? '' : 'CRM_'}${stem}_DB_PASSWORD`;
}

/** The URL with `${VARIABLE}` where its password was: the connections file never holds the secret. */
function withPasswordFrom(url: string, variable: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.username}:\${${variable}}@${u.host}${u.pathname}${u.search}`;
}
