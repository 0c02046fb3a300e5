import type { PoolClient } from 'pg';
import { z } from 'zod';
import { SchemaTooNewError } from '../errors.ts';
import { pendingOf } from '../pending.ts';
import { inTransaction, type PgContext, query } from './context.ts';
import { MIGRATIONS } from './migrations.ts';

const appliedSchema = z.object({ id: z.number().int() });

/**
 * Each step runs in its own transaction that first takes a transaction-level
 * advisory lock (keyed by schema), so processes starting together apply every
 * migration exactly once: the later ones wait, then find it recorded.
 * Creating the schema and the migrations table would race without it too.
 */
export async function migrate(ctx: PgContext): Promise<void> {
  const s = ctx.schema;
  await inTransaction(ctx.pool, async (client) => {
    await lock(client, ctx);
    // Looked up first: CREATE SCHEMA needs the database-level CREATE privilege
    // even with IF NOT EXISTS, which a DBA-provisioned schema should not require.
    const existing = await client.query('select 1 from pg_namespace where nspname = $1', [ctx.schemaName]);
    if (existing.rowCount === 0) await client.query(`create schema ${s}`);
    await client.query(
      `create table if not exists ${s}.migrations (
         id integer primary key,
         name text not null,
         applied_at timestamptz not null default now()
       )`,
    );
  });
  const known = MIGRATIONS.at(-1)?.id ?? 0;
  for (const migration of MIGRATIONS) {
    await inTransaction(ctx.pool, async (client) => {
      await lock(client, ctx);
      const { rows } = await client.query(`select id from ${s}.migrations order by id`);
      const applied = rows.map((row) => appliedSchema.parse(row).id);
      const latest = Math.max(0, ...applied);
      if (latest > known) throw new SchemaTooNewError(latest, known);
      if (applied.includes(migration.id)) return;
      await client.query(migration.sql(s));
      await client.query(`insert into ${s}.migrations (id, name) values ($1, $2)`, [
        migration.id,
        migration.name,
      ]);
    });
  }
}

/** Read only: a schema or migrations table not created yet means everything is pending. */
export async function pendingMigrations(ctx: PgContext): Promise<string[]> {
  const { rows } = await query(ctx, 'select to_regclass($1) is not null as present', [
    `${ctx.schema}.migrations`,
  ]);
  if (rows[0]?.present !== true) return pendingOf(MIGRATIONS, []);
  const applied = await query(ctx, `select id from ${ctx.schema}.migrations order by id`);
  return pendingOf(
    MIGRATIONS,
    applied.rows.map((row) => appliedSchema.parse(row).id),
  );
}

async function lock(client: PoolClient, ctx: PgContext): Promise<void> {
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [`sahut-sync:migrate:${ctx.schemaName}`]);
}
