import type { Config, Connection } from '../config/index.ts';
import { openCatalog, type SourceCatalog, type SourceFacts } from '../crm/index.ts';
import { hubspotChecks } from './hubspot.ts';
import { type Check, type Checklist, checksOf, messageOf } from './types.ts';

/** Rows read from a file to learn its columns (a JSONL line may lack a key). */
const FILE_SAMPLE = 50;

/**
 * The CRM answers; the table and every column the connection uses exist; the
 * cursor column is indexed; the notify trigger is installed when `notify` is on;
 * a connection that writes back may (checked without writing).
 */
export async function connectionChecks(
  connection: Connection,
  config: Readonly<Config>,
  baseDir: string,
): Promise<Check[]> {
  const list = checksOf(`connection ${connection.name}`);
  const { checks, ok, fail } = list;
  const { source } = connection;
  let catalog: SourceCatalog | undefined;
  let facts: SourceFacts | null;
  try {
    catalog = openCatalog(source, {
      postgresUrl: config.store.kind === 'postgres' ? config.store.url : undefined,
      baseDir,
    });
    facts = await catalog.facts(source.type === 'file' ? FILE_SAMPLE : 0);
  } catch (err) {
    fail(
      'reachable',
      messageOf(err),
      source.type === 'file'
        ? 'check source.path'
        : source.type === 'hubspot'
          ? 'check source.token and source.baseUrl (reading the properties needs crm.schemas.contacts.read)'
          : 'check source.url (or DATABASE_URL) and that this host may reach the CRM',
    );
    await catalog?.close().catch(() => {});
    if (source.type === 'hubspot') await hubspotChecks(connection, source, list);
    return checks;
  }
  try {
    if (facts === null) {
      const what =
        source.type === 'file'
          ? `file ${source.path}`
          : source.type === 'hubspot'
            ? 'HubSpot contact properties'
            : `table ${source.table}`;
      fail(
        'table',
        `${what} does not exist (or this user cannot see it)`,
        'check source.table (and schema or database) or source.path',
      );
      return checks;
    }
    ok('reachable', `${facts.label} (${facts.relation}), ${facts.columns.length} columns`);
    columnChecks(connection, facts, catalog, list);
    await databaseChecks(connection, facts, catalog, list);
    if (source.type === 'hubspot') await hubspotChecks(connection, source, list);
  } catch (err) {
    fail('catalog', messageOf(err));
  } finally {
    await catalog.close().catch(() => {});
  }
  return checks;
}

/** Every column the connection names, with where it is named. */
function usedColumns(connection: Connection): Map<string, string[]> {
  const { source, mapping, options } = connection;
  const used = new Map<string, string[]>();
  const add = (column: string, by: string) => used.set(column, [...(used.get(column) ?? []), by]);
  for (const rule of mapping.fields) for (const column of rule.from) add(column, `fields.${rule.key}`);
  if (source.type === 'file') add(source.idField, 'source.idField');
  else if (source.type !== 'hubspot') {
    add(source.idColumn, 'source.idColumn');
    add(source.cursorColumn, 'source.cursorColumn');
  }
  for (const column of Object.keys(options.createInCrm?.defaults ?? {}))
    add(column, 'options.createInCrm.defaults');
  return used;
}

function columnChecks(connection: Connection, facts: SourceFacts, catalog: SourceCatalog, list: Checklist) {
  const { ok, warn, fail } = list;
  const present = new Set(facts.columns.map((c) => c.name));
  const missing = [...usedColumns(connection)].filter(([column]) => !present.has(column));
  const jsonl = connection.source.type === 'file' && connection.source.format === 'jsonl';
  if (missing.length === 0)
    ok('columns', `all ${usedColumns(connection).size} columns the connection uses exist`);
  else {
    const list = missing.map(([column, by]) => `"${column}" (${by.join(', ')})`).join(', ');
    const fix = `fix those keys in the connections file or in the mapping of ${connection.name}, or add the column`;
    // A JSON Lines key missing from the first records may still appear later.
    if (jsonl) warn('columns', `not in the first ${facts.sample.length} records: ${list}`, fix);
    else fail('columns', `${facts.label} has no column ${list}`, fix);
  }
  const { source } = connection;
  if (source.type === 'file' || source.type === 'hubspot') return;
  const cursor = facts.columns.find((c) => c.name === source.cursorColumn);
  if (cursor === undefined) return;
  if (!cursor.temporal)
    warn(
      'cursor type',
      `${cursor.name} is ${cursor.type}: cursorOverlap does not apply to it, and write-back cannot stamp it`,
      'use a timestamp column bumped on every change (updated_at)',
    );
  if (facts.indexed === null)
    ok(
      'cursor index',
      `${facts.label} is a view: make sure the table behind it has an index on ${cursor.name}`,
    );
  else if (facts.indexed.includes(cursor.name)) ok('cursor index', `${cursor.name} leads an index`);
  else
    warn(
      'cursor index',
      `${cursor.name} has no index: every run scans the whole table`,
      catalog.createIndexSql?.(cursor.name) ?? `index ${cursor.name}`,
    );
}

async function databaseChecks(
  connection: Connection,
  facts: SourceFacts,
  catalog: SourceCatalog,
  list: Checklist,
) {
  const { ok, fail } = list;
  const { source, mapping, options } = connection;
  if (source.type === 'file' || source.type === 'hubspot') return;
  if (source.notify && catalog.triggerInstalled) {
    if (await catalog.triggerInstalled(connection.name)) ok('notify trigger', 'installed');
    else
      fail(
        'notify trigger',
        `notify is on, but ${facts.label} has no sahut-sync trigger for ${connection.name}: changes wait for the schedule`,
        `sahut-sync crm install-trigger --connection ${connection.name} (or set notify: false)`,
      );
  }
  if (!connection.directions.includes('sahut-to-crm') || !catalog.writeDenied) return;
  const present = new Set(facts.columns.map((c) => c.name));
  const single = mapping.fields.filter((rule) => rule.from.length === 1);
  const update = [
    ...new Set([
      ...single.filter((rule) => rule.owner !== 'crm').flatMap((rule) => rule.from),
      source.cursorColumn,
    ]),
  ].filter((c) => present.has(c));
  const insert = options.createInCrm
    ? [
        ...new Set([...single.flatMap((rule) => rule.from), ...Object.keys(options.createInCrm.defaults)]),
      ].filter((c) => present.has(c))
    : [];
  const denied = await catalog.writeDenied(update, insert);
  if (denied)
    fail('write permission', `sahut-to-crm writes to ${facts.label}: ${denied.problem}`, denied.grant);
  else
    ok(
      'write permission',
      `may update ${update.join(', ')}${insert.length > 0 ? ` and insert ${insert.join(', ')}` : ''}`,
    );
}
