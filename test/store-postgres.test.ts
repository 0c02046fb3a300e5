import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { escapeIdentifier, Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPostgresStore, openStore, StoreArgumentError } from '../src/store/index.ts';
import { MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { registerStoreTests } from './store-suite.ts';

const url = 'postgres://postgres@127.0.0.1:5432/test';
// One schema per test file (plus one per extra database the suite asks for), all dropped afterwards.
const prefix = `store_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const schemaOf = (name: string) => (name === 'main' ? prefix : `${prefix}_${name}`);
const schemas = new Set<string>();
const admin = new Pool({ connectionString: url, max: 2 });

afterAll(async () => {
  for (const schema of schemas)
    await admin.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`);
  await admin.end();
});

function open(name: string, options: { poolSize?: number } = {}) {
  const schema = schemaOf(name);
  schemas.add(schema);
  return openStore({ kind: 'postgres', url, schema, poolSize: options.poolSize ?? 4 });
}

async function tablesIn(schema: string): Promise<string[]> {
  const { rows } = await admin.query(
    'select table_name from information_schema.tables where table_schema = $1 order by table_name',
    [schema],
  );
  return rows.map((row) => z.object({ table_name: z.string() }).parse(row).table_name);
}

registerStoreTests('postgres', {
  open: (name) => open(name),
  migrationIds: MIGRATIONS.map((m) => m.id),
  appliedMigrations: async (name) => {
    const { rows } = await admin.query(
      `select id from ${escapeIdentifier(schemaOf(name))}.migrations order by id`,
    );
    return rows.map((row) => z.object({ id: z.number() }).parse(row).id);
  },
  sql: async (name, statement) => {
    const client = await admin.connect();
    try {
      await client.query(`set search_path to ${escapeIdentifier(schemaOf(name))}`);
      await client.query(statement);
    } finally {
      await client.query('reset search_path');
      client.release();
    }
  },
});

describe('postgres store specifics', () => {
  it('keeps every table inside its schema, whatever characters the name holds', async () => {
    const store = await open('Odd "Name"');
    try {
      await store.migrate();
      await store.setCursor('c', 'crm-to-sahut', 'x');
      expect(await store.getCursor('c', 'crm-to-sahut')).toBe('x');
      expect(await tablesIn(schemaOf('Odd "Name"'))).toEqual([
        'attention',
        'audit',
        'carried',
        'closed_links',
        'cursors',
        'decisions',
        'duplicate_pairs',
        'full_reads',
        'identity_claims',
        'links',
        'migrations',
        'removals',
        'run_records',
        'runs',
        'sahut_index',
        'sahut_scans',
      ]);
    } finally {
      await store.close();
    }
  });

  it('migrates exactly once when many instances start together', async () => {
    const stores = await Promise.all(Array.from({ length: 5 }, () => open('race', { poolSize: 2 })));
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      const { rows } = await admin.query(
        `select count(*) as n from ${escapeIdentifier(schemaOf('race'))}.migrations`,
      );
      expect(rows[0]).toEqual({ n: String(MIGRATIONS.length) });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('uses a pool it is given and leaves closing it to the owner', async () => {
    const pool = new Pool({ connectionString: url, max: 2 });
    const schema = schemaOf('given_pool');
    schemas.add(schema);
    try {
      const store = createPostgresStore({ pool, schema });
      await store.migrate();
      await store.close();
      expect(await tablesIn(schema)).toContain('links');
      await expect(pool.query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  });

  it('retries statements whose connection the server terminated (pg_terminate_backend)', async () => {
    const application = `sahut-sync-test-${randomUUID().slice(0, 8)}`;
    const pool = new Pool({ connectionString: url, max: 3, application_name: application });
    pool.on('error', () => {});
    const schema = schemaOf('terminated');
    schemas.add(schema);
    const store = createPostgresStore({ pool, schema });
    const terminate = () =>
      admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
        application,
      ]);
    try {
      await store.migrate();
      const runId = `run-${randomUUID()}`;
      await store.startRun({ id: runId, connection: 'c', direction: 'crm-to-sahut', dryRun: false });
      // Idle connections killed under the pool, then killed again while statements are in flight.
      await terminate();
      let writes = 0;
      const work = (async () => {
        for (let i = 0; i < 40; i++) {
          await store.appendAudit([
            {
              runId,
              jobId: null,
              connection: 'c',
              direction: 'crm-to-sahut',
              crmId: `r${i}`,
              sahutId: null,
              action: 'created',
              diff: null,
              error: null,
              attempt: 1,
            },
          ]);
          writes++;
        }
      })();
      // Ten terminations, 30 ms apart: each may cut a statement mid-flight.
      const killer = (async () => {
        for (let i = 0; i < 10 && writes < 40; i++) {
          await terminate();
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      await Promise.all([work, killer]);
      const run = await store.getRun(runId);
      expect(run?.counts.created).toBeGreaterThanOrEqual(40);
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('never echoes the connection string or its password in errors', async () => {
    const secret = 'hunter2-do-not-leak';
    const unreachable = await openStore({
      kind: 'postgres',
      url: `postgres://postgres:${secret}@127.0.0.1:1/test`,
    });
    try {
      const err = await unreachable.ping().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(inspect(err, { depth: 5 })).not.toContain(secret);
    } finally {
      await unreachable.close();
    }

    const malformed = await openStore({ kind: 'postgres', url: `not a url ${secret}` }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(malformed).toBeInstanceOf(StoreArgumentError);
    expect(inspect(malformed, { depth: 5 })).not.toContain(secret);
  });
});
