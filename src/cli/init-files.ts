import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, findConnection, loadConnections } from '../config/index.ts';
import { type ConnectionEntry, connectionsYaml } from '../init/index.ts';
import { MappingError, parseMapping } from '../mapping/index.ts';
import { UsageError } from './exit.ts';

export interface InitTarget {
  configPath: string;
  mappingPath: string;
  connection: string;
  force: boolean;
}

/** A path as a person typed it: relative to the working directory when inside it. */
export const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
};

/**
 * Writes the mapping, then adds (or with `force` replaces) the connection in
 * the connections file, keeping its other connections and comments. Refuses
 * before writing anything when a file or connection would be overwritten
 * without `force`; once written, proves both load as `run` loads them.
 */
export async function writeInitFiles(
  target: InitTarget,
  content: { mapping: string; entry: ConnectionEntry; from: string },
  env: NodeJS.ProcessEnv,
): Promise<'created' | 'added' | 'replaced'> {
  const { configPath, mappingPath, connection } = target;
  const existing = existsSync(configPath)
    ? { path: configPath, text: readFileSync(configPath, 'utf8') }
    : null;
  const taken =
    existing !== null && parseDocument(existing.text).getIn(['connections', connection]) !== undefined;
  const refused = [
    existsSync(mappingPath) ? `${shown(mappingPath)} exists` : null,
    taken ? `${shown(configPath)} already has a connection "${connection}"` : null,
  ].filter((r) => r !== null);
  if (refused.length > 0 && !target.force)
    throw new UsageError(
      `Not overwriting: ${refused.join('; ')}. Pass --force to replace, or pick another --connection and --mapping.`,
    );
  try {
    parseMapping(content.mapping, 'yaml', shown(mappingPath));
  } catch (err) {
    // Guesses always make a valid mapping; a --field key can make an invalid one.
    if (err instanceof MappingError) throw new UsageError(`--field: ${err.message}`);
    throw err;
  }
  const config = connectionsYaml(existing, connection, content.entry, content.from);
  await mkdir(dirname(mappingPath), { recursive: true });
  await writeFile(mappingPath, content.mapping);
  await mkdir(dirname(configPath), { recursive: true });
  await writeFile(configPath, config);
  try {
    findConnection(loadConnections(configPath, env), connection);
  } catch (err) {
    throw new ConfigError(
      `Wrote ${shown(mappingPath)} and ${shown(configPath)}, but they do not load yet:\n${(err as Error).message}`,
    );
  }
  return existing === null ? 'created' : taken ? 'replaced' : 'added';
}
