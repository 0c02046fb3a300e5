import { existsSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { openStore, SchemaTooNewError, type Store } from '../store/index.ts';
import { type Check, checksOf, messageOf } from './types.ts';

/** The store answers, and its migrations: applied, pending (any start applies them) or newer than this build. */
export async function storeChecks(config: Readonly<Config>): Promise<Check[]> {
  const { checks, ok, warn, fail } = checksOf('store');
  const { store: settings } = config;
  const where =
    settings.kind === 'postgres'
      ? `PostgreSQL, schema ${settings.schema} (DATABASE_URL, DATABASE_SCHEMA)`
      : `SQLite at ${settings.path} (SQLITE_PATH; one host only)`;
  if (settings.kind === 'sqlite' && !existsSync(settings.path)) {
    ok('reachable', `${where}: not created yet; the first command that syncs creates it`);
    return checks;
  }
  let store: Store | undefined;
  try {
    store = await openStore(
      settings.kind === 'postgres'
        ? { kind: 'postgres', url: settings.url, schema: settings.schema, poolSize: 1 }
        : { kind: 'sqlite', path: settings.path },
    );
    await store.ping();
    ok('reachable', where);
  } catch (err) {
    fail(
      'reachable',
      `${where}: ${messageOf(err)}`,
      settings.kind === 'postgres'
        ? 'check DATABASE_URL and that this host may reach it'
        : 'check SQLITE_PATH',
    );
    await store?.close().catch(() => {});
    return checks;
  }
  try {
    const pending = await store.pendingMigrations();
    if (pending.length === 0) ok('migrations', 'all applied');
    else
      warn(
        'migrations',
        `pending: ${pending.join('; ')}`,
        'any command that syncs (worker, run --once) applies them at start-up; the user needs CREATE on the schema',
      );
  } catch (err) {
    if (err instanceof SchemaTooNewError)
      fail('migrations', err.message, 'run the sahut-sync version that migrated it, or newer');
    else fail('migrations', messageOf(err));
  } finally {
    await store.close();
  }
  return checks;
}
