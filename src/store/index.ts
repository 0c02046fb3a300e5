import { createPostgresStore } from './postgres/store.ts';
import { createSqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

export { RunNotFoundError, SchemaTooNewError, StoreArgumentError } from './errors.ts';
export { createPostgresStore, DEFAULT_SCHEMA, type PostgresOptions } from './postgres/store.ts';
export type { SqliteOptions } from './sqlite/database.ts';
export { createSqliteStore } from './sqlite/store.ts';
export * from './types.ts';

export type StoreOptions =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number };

/** Opens the configured store. It does not migrate: call `migrate()` once at start-up. */
export async function openStore(options: StoreOptions): Promise<Store> {
  switch (options.kind) {
    case 'sqlite':
      return createSqliteStore({ path: options.path });
    case 'postgres':
      return createPostgresStore({ url: options.url, schema: options.schema, poolSize: options.poolSize });
  }
}
