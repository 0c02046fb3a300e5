import { z } from 'zod';
import { SchemaTooNewError } from '../errors.ts';
import { pendingOf } from '../pending.ts';
import type { SqliteDatabase } from './database.ts';
import { nowSqlTime } from './database.ts';
import { MIGRATIONS } from './migrations.ts';

const CREATE_MIGRATIONS_TABLE = `
  create table if not exists migrations (
    id integer primary key,
    name text not null,
    applied_at text not null
  ) strict
`;
const appliedSchema = z.object({ id: z.number().int() });

/**
 * Applies each pending migration in its own BEGIN IMMEDIATE transaction. The
 * write lock serialises concurrent callers (several processes at start-up):
 * whoever comes second waits, then finds the migration recorded and skips it.
 */
export function migrate(db: SqliteDatabase): void {
  db.transaction(() => db.exec(CREATE_MIGRATIONS_TABLE));
  const known = MIGRATIONS.at(-1)?.id ?? 0;
  for (const migration of MIGRATIONS) {
    db.transaction(() => {
      const applied = appliedIds(db);
      const latest = Math.max(0, ...applied);
      if (latest > known) throw new SchemaTooNewError(latest, known);
      if (applied.includes(migration.id)) return;
      db.exec(migration.sql);
      db.statement('insert into migrations (id, name, applied_at) values (:id, :name, :appliedAt)').run({
        id: migration.id,
        name: migration.name,
        appliedAt: nowSqlTime(),
      });
    });
  }
}

/** Read only: a store never migrated has no migrations table yet, so everything is pending. */
export function pendingMigrations(db: SqliteDatabase): string[] {
  const table = db
    .statement("select 1 from sqlite_master where type = 'table' and name = 'migrations'")
    .get();
  return pendingOf(MIGRATIONS, table === undefined ? [] : appliedIds(db));
}

function appliedIds(db: SqliteDatabase): number[] {
  return db
    .statement('select id from migrations order by id')
    .all()
    .map((row) => appliedSchema.parse(row).id);
}
