import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Config,
  type Connection,
  loadConfig,
  loadConnections,
  referencedValues,
  secretsOf,
} from '../config/index.ts';
import { connectionChecks } from './connection.ts';
import { redisChecks } from './redis.ts';
import { sahutChecks } from './sahut.ts';
import { storeChecks } from './store.ts';
import { type Check, checksOf, messageOf } from './types.ts';

/**
 * Every check, in a fixed order: the environment and the connections file
 * first (the rest depends on them), then Redis, the store, Sahut and each
 * connection side by side. Never throws: a problem is a failed check.
 */
export async function runDoctor(env: NodeJS.ProcessEnv, only?: string): Promise<Check[]> {
  const { checks, ok, fail } = checksOf('config');
  let config: Readonly<Config>;
  try {
    config = loadConfig(env);
  } catch (err) {
    fail('environment', messageOf(err), 'fix the variables named, in the environment or .env');
    return checks;
  }
  const store = config.store.kind === 'postgres' ? `PostgreSQL store` : `SQLite store ${config.store.path}`;
  ok('environment', `Sahut at ${config.sahut.baseUrl}, ${store}, connections in ${config.syncConfigPath}`);
  const path = config.syncConfigPath;
  let connections: Connection[] = [];
  try {
    connections = loadConnections(path, env);
    const chosen = only === undefined ? connections : connections.filter((c) => c.name === only);
    if (only !== undefined && chosen.length === 0)
      fail(
        'connections file',
        `${path} has no connection "${only}"; it has ${connections.map((c) => c.name).join(', ') || 'none'}`,
      );
    else ok('connections file', `${path}: ${connections.map((c) => c.name).join(', ') || 'no connection'}`);
    connections = chosen;
  } catch (err) {
    fail(
      'connections file',
      messageOf(err),
      `fix what is named, in ${path} (SYNC_CONFIG) or the mapping file`,
    );
  }
  const groups = await Promise.all([
    redisChecks(config),
    storeChecks(config),
    sahutChecks(config),
    ...connections.map((c) => connectionChecks(c, config, dirname(path))),
  ]);
  return scrubbed(
    [...checks, ...groups.flat()],
    [...secretsOf(config), ...fileSecrets(path, env, connections)],
  );
}

/** The passwords the connections file pulls from the environment or holds in its URLs. */
function fileSecrets(path: string, env: NodeJS.ProcessEnv, connections: readonly Connection[]): string[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // reported by the connections-file check
  }
  const urls = connections.flatMap((c) =>
    (c.source.type !== 'postgres' && c.source.type !== 'mysql') || !c.source.url ? [] : [c.source.url],
  );
  const passwords = urls.map((url) => {
    try {
      return decodeURIComponent(new URL(url).password);
    } catch {
      return '';
    }
  });
  return [...referencedValues(text, env), ...passwords].filter((s) => s.length >= 4);
}

/** No secret in any message, whatever a server or driver put in it. */
function scrubbed(checks: Check[], secrets: readonly string[]): Check[] {
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('[REDACTED]'), text);
  return checks.map((c) => ({
    ...c,
    detail: scrub(c.detail),
    ...(c.fix === undefined ? {} : { fix: scrub(c.fix) }),
  }));
}
